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

/**
 * "Set up account recovery": shows a new set of backup codes once; they replace the old set only after the user
 * confirms they saved them. The sidecar makes the codes and decides whether the page appears and may be skipped.
 *
 * <p>It runs when it is on the user's required actions (added after a recovery sign-in that left few codes, or by
 * an administrator), as an application-initiated action ({@code kc_action=mfa-recovery-setup}), and right after
 * the user enrolled an authenticator app in this sign-in (see {@link #evaluateTriggers}).
 */
public class MfaRecoverySetupAction implements RequiredActionProvider {

    static final String PAGE = "mfa-recovery-setup.ftl";
    static final String REASON_NOTE = "mfa-recovery.setup-reason";
    static final String REASON_USER_REQUEST = "user_request";
    static final String REASON_AFTER_OTP_ENROLMENT = "after_otp_enrolment";
    static final String REASON_LOW_CODES = "low_codes";
    static final String REASON_REQUIRED_ACTION = "required_action";

    private static final String HAD_OTP_NOTE = "mfa-recovery.had-otp";
    private static final String SET_NOTE = "mfa-recovery.setup-set";
    private static final String CODES_NOTE = "mfa-recovery.setup-codes";
    private static final String SKIPPABLE_NOTE = "mfa-recovery.setup-skippable";

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
        boolean hasOtp = context.getUser().credentialManager().isConfiguredFor(OTPCredentialModel.TYPE);
        String hadOtp = authSession.getAuthNote(HAD_OTP_NOTE);
        if (hadOtp == null) {
            authSession.setAuthNote(HAD_OTP_NOTE, Boolean.toString(hasOtp));
        } else if (!Boolean.parseBoolean(hadOtp) && hasOtp) {
            authSession.setAuthNote(HAD_OTP_NOTE, "true");
            authSession.setAuthNote(REASON_NOTE, REASON_AFTER_OTP_ENROLMENT);
            context.getUser().addRequiredAction(MfaRecoverySetupActionFactory.PROVIDER_ID);
        }
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
        if (form.containsKey("skip") && Boolean.parseBoolean(authSession.getAuthNote(SKIPPABLE_NOTE))) {
            finish(context);
            return;
        }
        if (!"on".equals(form.getFirst("saved"))) {
            context.challenge(page(context, authSession.getAuthNote(CODES_NOTE).split(","),
                    Boolean.parseBoolean(authSession.getAuthNote(SKIPPABLE_NOTE)), "mfaRecoverySetupConfirmMissing"));
            return;
        }
        boolean activated;
        try {
            activated = sidecar.confirm(BridgeCall.of(context), setId);
        } catch (SidecarUnavailableException e) {
            context.challenge(MfaRecoveryAuthenticator.unavailablePage(context.form(), context.getRealm().getName(), e));
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
            context.challenge(MfaRecoveryAuthenticator.unavailablePage(context.form(), context.getRealm().getName(), e));
            return;
        }
        if (!offer.show()) {
            finish(context);
            return;
        }
        // The codes stay in the server-side authentication session only while this page is open, so that a
        // re-rendered page (an unticked box) shows the same set; they are removed when the action ends.
        authSession.setAuthNote(SET_NOTE, offer.setId());
        authSession.setAuthNote(CODES_NOTE, String.join(",", offer.codes()));
        authSession.setAuthNote(SKIPPABLE_NOTE, Boolean.toString(offer.skippable()));
        context.challenge(page(context, offer.codes().toArray(String[]::new), offer.skippable(), errorKey));
    }

    private static Response page(RequiredActionContext context, String[] codes, boolean skippable, String errorKey) {
        var form = context.form()
                .setAttribute("backupCodes", List.of(codes))
                .setAttribute("backupCodesText", String.join("\n", codes) + "\n")
                .setAttribute("skippable", skippable);
        if (errorKey != null) {
            form.setError(errorKey);
        }
        return form.createForm(PAGE);
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
        authSession.removeAuthNote(SET_NOTE);
        authSession.removeAuthNote(CODES_NOTE);
        authSession.removeAuthNote(SKIPPABLE_NOTE);
        authSession.removeAuthNote(REASON_NOTE);
        context.getUser().removeRequiredAction(MfaRecoverySetupActionFactory.PROVIDER_ID);
        context.success();
    }

    @Override
    public void close() {
    }
}
