package io.mfarecovery.keycloak;

import java.util.List;

import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import org.keycloak.authentication.InitiatedActionSupport;
import org.keycloak.authentication.RequiredActionContext;
import org.keycloak.authentication.RequiredActionProvider;
import org.keycloak.models.Constants;
import org.keycloak.models.credential.OTPCredentialModel;
import org.keycloak.sessions.AuthenticationSessionModel;

import io.mfarecovery.keycloak.SidecarClient.AddressCodeCheck;
import io.mfarecovery.keycloak.SidecarClient.AddressCodeMail;
import io.mfarecovery.keycloak.SidecarClient.CodeCheck;
import io.mfarecovery.keycloak.SidecarClient.CodeMailing;

/**
 * "Set up account recovery": shows a new set of backup codes once; they replace the old set only after the user
 * confirms they saved them. The sidecar makes the codes and decides whether the page appears and may be skipped.
 *
 * <p>It runs when it is on the user's required actions (added after a recovery sign-in that left few codes, or by
 * an administrator), as an application-initiated action ({@code kc_action=mfa-recovery-setup}), and right after
 * the user enrolled an authenticator app in this sign-in (see {@link #evaluateTriggers}).
 *
 * <p>When the realm's email method is on, the page also lets the user set a backup email address: a separate form
 * posts {@code email} with {@code backupEmailAction=send}, the verify page {@code emailCode} with
 * {@code backupEmailAction=verify}, or {@code backupEmailAction=resend|back}. The backup codes stay pending
 * meanwhile, and the email forms do not need the "saved" box.
 */
public class MfaRecoverySetupAction implements RequiredActionProvider {

    static final String PAGE = "mfa-recovery-setup.ftl";
    static final String REASON_NOTE = "mfa-recovery.setup-reason";
    static final String REASON_USER_REQUEST = "user_request";
    static final String REASON_AFTER_OTP_ENROLMENT = "after_otp_enrolment";
    static final String REASON_LOW_CODES = "low_codes";
    static final String REASON_REQUIRED_ACTION = "required_action";

    /** The verify page of a new backup address, and what the email forms post. */
    static final String EMAIL_PAGE = "mfa-recovery-setup-email.ftl";
    static final String EMAIL_ACTION = "backupEmailAction";
    static final String EMAIL_SEND = "send";
    static final String EMAIL_RESEND = "resend";
    static final String EMAIL_VERIFY = "verify";
    static final String EMAIL_FIELD = "email";
    static final String EMAIL_CODE_FIELD = MfaRecoveryAuthenticator.EMAIL_CODE_FIELD;
    /** The contract's limit for {@code backup-email/start}; a longer address is refused here. */
    static final int MAX_ADDRESS_LENGTH = 254;

    private static final String HAD_OTP_NOTE = "mfa-recovery.had-otp";
    private static final String SET_NOTE = "mfa-recovery.setup-set";
    private static final String CODES_NOTE = "mfa-recovery.setup-codes";
    private static final String SKIPPABLE_NOTE = "mfa-recovery.setup-skippable";
    /** The {@code backup_email} of the setup answer: the realm's email method, the verified address's hint. */
    private static final String EMAIL_ENABLED_NOTE = "mfa-recovery.setup-email-enabled";
    private static final String EMAIL_HINT_NOTE = "mfa-recovery.setup-email-hint";
    /** The address waiting for its code, as typed, and its hint from the sidecar. */
    private static final String PENDING_ADDRESS_NOTE = "mfa-recovery.setup-email-pending";
    private static final String PENDING_HINT_NOTE = "mfa-recovery.setup-email-pending-hint";
    private static final List<String> NOTES = List.of(SET_NOTE, CODES_NOTE, SKIPPABLE_NOTE, EMAIL_ENABLED_NOTE,
            EMAIL_HINT_NOTE, PENDING_ADDRESS_NOTE, PENDING_HINT_NOTE, REASON_NOTE);

    private final SidecarClient sidecar;

    MfaRecoverySetupAction(SidecarClient sidecar) {
        this.sidecar = sidecar;
    }

    @Override
    public InitiatedActionSupport initiatedActionSupport() {
        return InitiatedActionSupport.SUPPORTED;
    }

    /**
     * Keycloak evaluates triggers before the first required action of a sign-in and again after each one. The
     * first call remembers whether the user had an authenticator app; a later call that finds one enrolled since
     * then adds this action, so recovery is offered right after OTP enrolment (the sidecar's realm option decides
     * whether the page then shows).
     */
    @Override
    public void evaluateTriggers(RequiredActionContext context) {
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        if (OtpReplacement.completeIfEnrolled(authSession, context.getUser())) {
            offerAfterEnrolment(context);
            return;
        }
        boolean hasOtp = context.getUser().credentialManager().isConfiguredFor(OTPCredentialModel.TYPE);
        String hadOtp = authSession.getAuthNote(HAD_OTP_NOTE);
        if (hadOtp == null) {
            authSession.setAuthNote(HAD_OTP_NOTE, Boolean.toString(hasOtp));
        } else if (!Boolean.parseBoolean(hadOtp) && hasOtp) {
            offerAfterEnrolment(context);
        }
    }

    /** An authenticator app was enrolled (or replaced a lost one) in this sign-in: offer recovery right after. */
    private static void offerAfterEnrolment(RequiredActionContext context) {
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        authSession.setAuthNote(HAD_OTP_NOTE, "true");
        authSession.setAuthNote(REASON_NOTE, REASON_AFTER_OTP_ENROLMENT);
        context.getUser().addRequiredAction(MfaRecoverySetupActionFactory.PROVIDER_ID);
    }

    @Override
    public void requiredActionChallenge(RequiredActionContext context) {
        offerNewSet(context, null);
    }

    @Override
    public void processAction(RequiredActionContext context) {
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        MultivaluedMap<String, String> form = context.getHttpRequest().getDecodedFormParameters();
        String setId = authSession.getAuthNote(SET_NOTE);
        if (setId == null) {
            offerNewSet(context, null);
            return;
        }
        String emailAction = emailAction(form);
        if (emailAction != null) {
            try {
                backupEmail(context, emailAction, form);
            } catch (SidecarUnavailableException e) {
                context.challenge(unavailablePage(context, e));
            }
            return;
        }
        if (form.containsKey("skip") && Boolean.parseBoolean(authSession.getAuthNote(SKIPPABLE_NOTE))) {
            finish(context);
            return;
        }
        if (!"on".equals(form.getFirst("saved"))) {
            context.challenge(setupPage(context, PageMessage.error("mfaRecoverySetupConfirmMissing"), null));
            return;
        }
        boolean activated;
        try {
            activated = sidecar.confirm(BridgeCall.of(context), setId);
        } catch (SidecarUnavailableException e) {
            context.challenge(unavailablePage(context, e));
            return;
        }
        if (!activated) {
            offerNewSet(context, "mfaRecoverySetupExpired");
            return;
        }
        BackupCodesCredentialProvider.recordNewSet(context.getUser());
        finish(context);
    }

    private void offerNewSet(RequiredActionContext context, String errorKey) {
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        SidecarClient.SetupOffer offer;
        try {
            offer = sidecar.setup(BridgeCall.of(context), reason(context));
        } catch (SidecarUnavailableException e) {
            context.challenge(unavailablePage(context, e));
            return;
        }
        if (!offer.show()) {
            finish(context);
            return;
        }
        // The codes stay in the server-side authentication session only while this page is open, so that a
        // re-rendered page (an unticked box, a backup address being verified) shows the same set; they are
        // removed when the action ends.
        authSession.setAuthNote(SET_NOTE, offer.setId());
        authSession.setAuthNote(CODES_NOTE, String.join(",", offer.codes()));
        authSession.setAuthNote(SKIPPABLE_NOTE, Boolean.toString(offer.skippable()));
        SidecarClient.BackupEmail backupEmail = offer.backupEmail();
        authSession.setAuthNote(EMAIL_ENABLED_NOTE, Boolean.toString(backupEmail.enabled()));
        MfaRecoveryAuthenticator.setOrRemoveNote(authSession, EMAIL_HINT_NOTE,
                backupEmail.verified() ? backupEmail.addressHint() : null);
        context.challenge(setupPage(context, errorKey == null ? null : PageMessage.error(errorKey), null));
    }

    // -- backup email address -----------------------------------------------------------------------------------

    /** What an email form asks for; a form without the button's value still says it by its field. */
    private static String emailAction(MultivaluedMap<String, String> form) {
        String action = form.getFirst(EMAIL_ACTION);
        if (action != null) {
            return action;
        }
        if (form.containsKey(EMAIL_CODE_FIELD)) {
            return EMAIL_VERIFY;
        }
        return form.containsKey(EMAIL_FIELD) ? EMAIL_SEND : null;
    }

    private void backupEmail(RequiredActionContext context, String action, MultivaluedMap<String, String> form)
            throws SidecarUnavailableException {
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        String pendingAddress = authSession.getAuthNote(PENDING_ADDRESS_NOTE);
        if (!Boolean.parseBoolean(authSession.getAuthNote(EMAIL_ENABLED_NOTE))) {
            context.challenge(setupPage(context, null, null));
        } else if (EMAIL_SEND.equals(action)) {
            String address = form.getFirst(EMAIL_FIELD);
            sendAddressCode(context, address == null ? "" : address.trim(), false);
        } else if (EMAIL_RESEND.equals(action) && pendingAddress != null) {
            sendAddressCode(context, pendingAddress, true);
        } else if (EMAIL_VERIFY.equals(action) && pendingAddress != null) {
            verifyAddress(context, form.getFirst(EMAIL_CODE_FIELD));
        } else {  // back, or a stale page
            context.challenge(setupPage(context, null, null));
        }
    }

    /** Mails a code to the address; a resend keeps the user on the verify page whatever the answer. */
    private void sendAddressCode(RequiredActionContext context, String address, boolean resend)
            throws SidecarUnavailableException {
        if (address.isEmpty() || address.length() > MAX_ADDRESS_LENGTH) {
            context.challenge(setupPage(context, PageMessage.fieldError(EMAIL_FIELD,
                    address.isEmpty() ? "mfaRecoverySetupEmailMissing" : "mfaRecoverySetupEmailInvalid"), address));
            return;
        }
        CodeMailing<AddressCodeMail> mailing = sidecar.startBackupEmail(BridgeCall.of(context),
                UserProfile.of(context.getSession(), context.getUser()), address);
        if (mailing.result() == AddressCodeMail.SENT) {
            AuthenticationSessionModel authSession = context.getAuthenticationSession();
            authSession.setAuthNote(PENDING_ADDRESS_NOTE, address);
            authSession.setAuthNote(PENDING_HINT_NOTE, mailing.addressHint() != null ? mailing.addressHint() : address);
        }
        PageChoice.AddressCodePage page = PageChoice.afterAddressMailing(mailing, resend);
        context.challenge(page.verifyPage()
                ? emailPage(context, page.message()) : setupPage(context, page.message(), address));
    }

    private void verifyAddress(RequiredActionContext context, String code) throws SidecarUnavailableException {
        if (code == null || code.isBlank()) {
            context.challenge(emailPage(context,
                    PageMessage.fieldError(EMAIL_CODE_FIELD, "mfaRecoveryEmailCodeMissing")));
            return;
        }
        CodeCheck<AddressCodeCheck> check = sidecar.verifyBackupEmail(BridgeCall.of(context),
                UserProfile.of(context.getSession(), context.getUser()), code);
        if (check.result() != AddressCodeCheck.VERIFIED) {
            context.challenge(emailPage(context, PageChoice.addressCodeRefused(check)));
            return;
        }
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        String hint = check.addressHint() != null ? check.addressHint() : authSession.getAuthNote(PENDING_HINT_NOTE);
        authSession.setAuthNote(EMAIL_HINT_NOTE, hint);
        authSession.removeAuthNote(PENDING_ADDRESS_NOTE);
        authSession.removeAuthNote(PENDING_HINT_NOTE);
        context.challenge(setupPage(context, PageMessage.success("mfaRecoverySetupEmailVerified", hint), null));
    }

    // -- pages --------------------------------------------------------------------------------------------------

    /** The codes page, re-rendered from the auth notes; {@code typedAddress} refills the email field. */
    private static Response setupPage(RequiredActionContext context, PageMessage message, String typedAddress) {
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        String[] codes = authSession.getAuthNote(CODES_NOTE).split(",");
        return PageMessage.apply(message, context.form()
                .setAttribute("backupCodes", List.of(codes))
                .setAttribute("backupCodesText", String.join("\n", codes) + "\n")
                .setAttribute("skippable", Boolean.parseBoolean(authSession.getAuthNote(SKIPPABLE_NOTE)))
                .setAttribute("backupEmailEnabled",
                        Boolean.parseBoolean(authSession.getAuthNote(EMAIL_ENABLED_NOTE)))
                .setAttribute("backupEmailHint", authSession.getAuthNote(EMAIL_HINT_NOTE))
                .setAttribute("backupEmailAddress", typedAddress))
                .createForm(PAGE);
    }

    /** "We sent a code to n•••@example.net". */
    private static Response emailPage(RequiredActionContext context, PageMessage message) {
        return PageMessage.apply(message, context.form()
                .setAttribute("pendingEmailHint", context.getAuthenticationSession().getAuthNote(PENDING_HINT_NOTE)))
                .createForm(EMAIL_PAGE);
    }

    private static Response unavailablePage(RequiredActionContext context, SidecarUnavailableException cause) {
        return RecoveryPages.unavailable(context.form(), context.getRealm().getName(), cause);
    }

    private static String reason(RequiredActionContext context) {
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        if (MfaRecoverySetupActionFactory.PROVIDER_ID.equals(authSession.getClientNote(Constants.KC_ACTION))) {
            return REASON_USER_REQUEST;
        }
        String reason = authSession.getAuthNote(REASON_NOTE);
        return reason != null ? reason : REASON_REQUIRED_ACTION;
    }

    private static void finish(RequiredActionContext context) {
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        NOTES.forEach(authSession::removeAuthNote);
        context.getUser().removeRequiredAction(MfaRecoverySetupActionFactory.PROVIDER_ID);
        context.success();
    }

    @Override
    public void close() {
    }
}
