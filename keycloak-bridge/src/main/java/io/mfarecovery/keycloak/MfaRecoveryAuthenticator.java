package io.mfarecovery.keycloak;

import java.util.Arrays;
import java.util.List;

import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.authenticators.util.AuthenticatorUtils;
import org.keycloak.events.Errors;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.credential.OTPCredentialModel;
import org.keycloak.sessions.AuthenticationSessionModel;

import io.mfarecovery.keycloak.SidecarClient.CodeCheck;
import io.mfarecovery.keycloak.SidecarClient.CodeMailing;
import io.mfarecovery.keycloak.SidecarClient.NoticeResult;
import io.mfarecovery.keycloak.SidecarClient.RecoveryOptions;
import io.mfarecovery.keycloak.SidecarClient.SignInCodeCheck;
import io.mfarecovery.keycloak.SidecarClient.SignInCodeMail;
import io.mfarecovery.keycloak.SidecarClient.Supervisor;
import io.mfarecovery.keycloak.SidecarClient.SupervisorNotice;

/**
 * "MFA recovery": the alternative to the OTP form. It renders the theme's pages ({@link RecoveryPages}), forwards
 * what the user typed or chose to the sidecar and maps the answer onto the flow. All recovery logic lives in the
 * sidecar.
 *
 * <p>The pages: the choice (the backup-code field, a code by email, "I have neither"), the email-code page, the
 * "contact your supervisor" page and, after an accepted backup code that leaves few, the "few codes left" page. An
 * accepted code otherwise finishes the step at once (the notification mail says how many codes are left). What the
 * user posts: {@code backupCode}, {@code choice=email|neither}, {@code emailCode}, {@code resend}, {@code notify},
 * {@code back} (to the choice) and {@code continue} (on the "few codes left" page).
 */
public class MfaRecoveryAuthenticator implements Authenticator {

    static final String CODE_FIELD = "backupCode";
    static final String EMAIL_CODE_FIELD = "emailCode";
    static final String CHOICE = "choice";
    static final String CHOICE_NEITHER = "neither";
    static final String RESEND = "resend";
    static final String NOTIFY = "notify";
    static final String BACK = "back";
    static final String CONTINUE = "continue";

    /** Set once the sidecar accepted a code in this sign-in: the "few codes left" page's "Continue" then finishes. */
    static final String ACCEPTED_NOTE = "mfa-recovery.accepted";
    /** The methods of the last {@code start} answer, comma-separated ("" for none), and the masked address. */
    static final String METHODS_NOTE = "mfa-recovery.methods";
    static final String EMAIL_HINT_NOTE = "mfa-recovery.email-hint";
    /** The supervisor's name from the last {@code supervisor} answer, while one is known. */
    static final String SUPERVISOR_NOTE = "mfa-recovery.supervisor";

    private final SidecarClient sidecar;

    MfaRecoveryAuthenticator(SidecarClient sidecar) {
        this.sidecar = sidecar;
    }

    @Override
    public void authenticate(AuthenticationFlowContext context) {
        if (!hasOtp(context.getUser())) {
            sendToEnrol(context);
            return;
        }
        try {
            RecoveryOptions options = remember(context, sidecar.start(BridgeCall.of(context)));
            if (options.any()) {
                context.challenge(pages(context).choice(options, null));
            } else {
                showNeither(context);
            }
        } catch (SidecarUnavailableException e) {
            context.challenge(pages(context).unavailable(e));
        }
    }

    @Override
    public void action(AuthenticationFlowContext context) {
        MultivaluedMap<String, String> form = context.getHttpRequest().getDecodedFormParameters();
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        if (form.containsKey(CONTINUE) && "true".equals(authSession.getAuthNote(ACCEPTED_NOTE))) {
            finish(context);
            return;
        }
        try {
            if (form.containsKey(BACK)) {
                showChoice(context, null);
            } else if (form.containsKey(CHOICE)) {
                choose(context, form.getFirst(CHOICE));
            } else if (form.containsKey(RESEND)) {
                sendEmailCode(context, true);
            } else if (form.containsKey(NOTIFY)) {
                notifySupervisor(context);
            } else if (form.containsKey(EMAIL_CODE_FIELD)) {
                verifyEmailCode(context, form.getFirst(EMAIL_CODE_FIELD));
            } else {
                verifyBackupCode(context, form.getFirst(CODE_FIELD));
            }
        } catch (SidecarUnavailableException e) {
            context.challenge(pages(context).unavailable(e));
        }
    }

    /**
     * Only the forced path ({@link ForcedEnrolment}) lets a user without an authenticator app get here: they must
     * set one up now, before any token is issued (Keycloak runs required actions first). When Keycloak would skip
     * that required action, the sign-in stops on a clear page instead of going on with the password alone.
     */
    private static void sendToEnrol(AuthenticationFlowContext context) {
        if (!ForcedEnrolment.enrolmentEnabled(context.getRealm())) {
            context.getEvent().user(context.getUser()).error(Errors.INVALID_USER_CREDENTIALS);
            context.failure(AuthenticationFlowError.CREDENTIAL_SETUP_REQUIRED, context.form()
                    .setError("mfaRecoveryEnrolmentDisabled")
                    .createErrorPage(Response.Status.FORBIDDEN));
            return;
        }
        context.getUser().addRequiredAction(ForcedEnrolment.CONFIGURE_TOTP);
        context.success();
    }

    // -- the choice ---------------------------------------------------------------------------------------------

    /** Only what the choice page offered is honoured; anything else shows the choice again. */
    private void choose(AuthenticationFlowContext context, String choice) throws SidecarUnavailableException {
        switch (PageChoice.chosen(choice, options(context))) {
            case EMAIL:
                sendEmailCode(context, false);
                return;
            case NEITHER:
                showNeither(context);
                return;
            default:
                showChoice(context, null);
        }
    }

    private void showChoice(AuthenticationFlowContext context, PageMessage message) throws SidecarUnavailableException {
        RecoveryOptions options = options(context);
        if (options.any()) {
            context.challenge(pages(context).choice(options, message));
        } else {
            showNeither(context);
        }
    }

    // -- backup code --------------------------------------------------------------------------------------------

    private void verifyBackupCode(AuthenticationFlowContext context, String code) throws SidecarUnavailableException {
        RecoveryPages pages = pages(context);
        String refusal = refusalBeforeCheck(context, code, "mfaRecoveryCodeMissing");
        if (refusal != null) {
            context.challenge(pages.choice(options(context), PageMessage.fieldError(CODE_FIELD, refusal)));
            return;
        }
        if (!PageChoice.couldBeACode(code)) {
            PageChoice.Refusal refused = PageChoice.notACode(CODE_FIELD);
            failed(context, refused.eventError(), pages.choice(options(context), refused.message()));
            return;
        }
        SidecarClient.Verdict verdict = sidecar.verifyBackupCode(BridgeCall.of(context), code);
        if (verdict.result() != SidecarClient.Verdict.Result.ACCEPTED) {
            PageChoice.Refusal refused = PageChoice.backupCodeRefused(verdict.result());
            failed(context, refused.eventError(), pages.choice(options(context), refused.message()));
            return;
        }
        accepted(context, verdict.reenrolOtp());
        if (!verdict.regenerate()) {
            finish(context);
            return;
        }
        context.getUser().addRequiredAction(MfaRecoverySetupActionFactory.PROVIDER_ID);
        context.getAuthenticationSession().setAuthNote(MfaRecoverySetupAction.REASON_NOTE,
                MfaRecoverySetupAction.REASON_LOW_CODES);
        context.getAuthenticationSession().setAuthNote(ACCEPTED_NOTE, "true");
        context.challenge(pages.fewCodesLeft(verdict.remaining(), verdict.reenrolOtp()));
    }

    // -- code by email ------------------------------------------------------------------------------------------

    /** Asks the sidecar to mail a code, then shows the field for it (or the choice, when email is not possible). */
    private void sendEmailCode(AuthenticationFlowContext context, boolean resend) throws SidecarUnavailableException {
        String bruteForceError = AuthenticatorUtils.getDisabledByBruteForceEventError(context, context.getUser());
        if (bruteForceError != null) {  // no mail while Keycloak holds the user locked: the code could not be used
            context.getEvent().user(context.getUser()).error(bruteForceError);
            context.challenge(pages(context).emailCode(context.getAuthenticationSession().getAuthNote(EMAIL_HINT_NOTE),
                    false, RecoveryPages.DEFAULT_CODE_MINUTES, PageMessage.error("mfaRecoveryTemporarilyLocked")));
            return;
        }
        CodeMailing<SignInCodeMail> mailing = sidecar.sendEmailCode(BridgeCall.of(context), profile(context));
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        if (mailing.addressHint() != null) {
            authSession.setAuthNote(EMAIL_HINT_NOTE, mailing.addressHint());
        }
        PageChoice.EmailCodePage page = PageChoice.afterMailing(mailing, resend);
        if (page == null) {  // UNAVAILABLE: the method is off or the address is gone; stop offering it
            remember(context, options(context).withoutEmail());
            showChoice(context, PageMessage.error("mfaRecoveryEmailUnavailable"));
            return;
        }
        context.challenge(pages(context).emailCode(authSession.getAuthNote(EMAIL_HINT_NOTE), page.sent(),
                page.validMinutes(), page.message()));
    }

    private void verifyEmailCode(AuthenticationFlowContext context, String code) throws SidecarUnavailableException {
        RecoveryPages pages = pages(context);
        String hint = context.getAuthenticationSession().getAuthNote(EMAIL_HINT_NOTE);
        String refusal = refusalBeforeCheck(context, code, "mfaRecoveryEmailCodeMissing");
        if (refusal != null) {
            context.challenge(pages.emailCodeAgain(hint, PageMessage.fieldError(EMAIL_CODE_FIELD, refusal)));
            return;
        }
        if (!PageChoice.couldBeACode(code)) {
            PageChoice.Refusal refused = PageChoice.notACode(EMAIL_CODE_FIELD);
            failed(context, refused.eventError(), pages.emailCodeAgain(hint, refused.message()));
            return;
        }
        CodeCheck<SignInCodeCheck> check = sidecar.verifyEmailCode(BridgeCall.of(context), profile(context), code);
        if (check.result() != SignInCodeCheck.ACCEPTED) {
            PageChoice.Refusal refused = PageChoice.emailCodeRefused(check);
            failed(context, refused.eventError(), pages.emailCodeAgain(hint, refused.message()));
            return;
        }
        accepted(context, check.reenrolOtp());
        finish(context);
    }

    // -- "I have neither" ---------------------------------------------------------------------------------------

    private void showNeither(AuthenticationFlowContext context) throws SidecarUnavailableException {
        Supervisor supervisor = sidecar.supervisor(BridgeCall.of(context));
        rememberSupervisor(context, supervisor.name());
        challengeNeither(context, PageChoice.neither(supervisor));
    }

    private void notifySupervisor(AuthenticationFlowContext context) throws SidecarUnavailableException {
        SupervisorNotice notice = sidecar.notifySupervisor(BridgeCall.of(context), profile(context));
        PageChoice.NeitherPage page = PageChoice.afterNotice(notice,
                context.getAuthenticationSession().getAuthNote(SUPERVISOR_NOTE));
        if (notice.result() != NoticeResult.RATE_LIMITED) {  // a rate limit says nothing new of the supervisor
            rememberSupervisor(context, page.supervisorName());
        }
        challengeNeither(context, page);
    }

    private static void challengeNeither(AuthenticationFlowContext context, PageChoice.NeitherPage page) {
        context.challenge(pages(context).neither(page.supervisorName(), page.canNotify(), page.notified(),
                page.message()));
    }

    // -- shared -------------------------------------------------------------------------------------------------

    /**
     * Keycloak's own lock and an empty field are answered before the sidecar is asked: the message key to show
     * on the field, or null when the code may be checked.
     */
    private static String refusalBeforeCheck(AuthenticationFlowContext context, String code, String missingKey) {
        String bruteForceError = AuthenticatorUtils.getDisabledByBruteForceEventError(context, context.getUser());
        if (bruteForceError != null) {
            context.getEvent().user(context.getUser()).error(bruteForceError);
            return "mfaRecoveryTemporarilyLocked";
        }
        return code == null || code.isBlank() ? missingKey : null;
    }

    /** A refused code: Keycloak's brute-force detection counts it (reference category otp). */
    private static void failed(AuthenticationFlowContext context, String eventError, Response page) {
        context.getEvent().user(context.getUser()).error(eventError);
        context.failureChallenge(AuthenticationFlowError.INVALID_CREDENTIALS, page);
    }

    /**
     * Carries out what the sidecar decided for an accepted code: with {@code reenrolOtp} a new authenticator must be
     * set up in this sign-in, which then replaces the lost one ({@link OtpReplacement}).
     */
    private static void accepted(AuthenticationFlowContext context, boolean reenrolOtp) {
        if (reenrolOtp) {
            OtpReplacement.begin(context.getAuthenticationSession(), context.getUser());
        }
        context.setAuthenticationSelections(List.of());  // the code is spent: no "Try another way" on a later page
    }

    /** The step is done: on to the required actions (a new authenticator, a new set of codes) or the application. */
    private static void finish(AuthenticationFlowContext context) {
        context.getAuthenticationSession().removeAuthNote(ACCEPTED_NOTE);
        context.success();
    }

    /** The options of this sign-in: from the auth notes of an earlier {@code start}, else a new one. */
    private RecoveryOptions options(AuthenticationFlowContext context) throws SidecarUnavailableException {
        RecoveryOptions remembered = remembered(context.getAuthenticationSession());
        return remembered != null ? remembered : remember(context, sidecar.start(BridgeCall.of(context)));
    }

    private static RecoveryOptions remembered(AuthenticationSessionModel authSession) {
        String methods = authSession.getAuthNote(METHODS_NOTE);
        return methods == null ? null
                : RecoveryOptions.of(Arrays.asList(methods.split(",")), authSession.getAuthNote(EMAIL_HINT_NOTE));
    }

    private static RecoveryOptions remember(AuthenticationFlowContext context, RecoveryOptions options) {
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        authSession.setAuthNote(METHODS_NOTE, options.methods());
        setOrRemoveNote(authSession, EMAIL_HINT_NOTE, options.emailHint());
        return options;
    }

    private static void rememberSupervisor(AuthenticationFlowContext context, String name) {
        setOrRemoveNote(context.getAuthenticationSession(), SUPERVISOR_NOTE, name);
    }

    static void setOrRemoveNote(AuthenticationSessionModel authSession, String note, String value) {
        if (value != null) {
            authSession.setAuthNote(note, value);
        } else {
            authSession.removeAuthNote(note);
        }
    }

    private static RecoveryPages pages(AuthenticationFlowContext context) {
        RecoveryOptions remembered = remembered(context.getAuthenticationSession());
        return new RecoveryPages(context, remembered != null && remembered.any());
    }

    private static UserProfile profile(AuthenticationFlowContext context) {
        return UserProfile.of(context.getSession(), context.getUser());
    }

    @Override
    public boolean requiresUser() {
        return true;
    }

    /**
     * Recovery stands in for a lost authenticator, so it is offered to users who have one configured. When MFA is
     * forced for all users it also takes users with no second factor at all, to send them to enrol
     * ({@link ForcedEnrolment}). For anyone else Keycloak neither runs nor lists this step.
     */
    @Override
    public boolean configuredFor(KeycloakSession session, RealmModel realm, UserModel user) {
        return hasOtp(user) || ForcedEnrolment.appliesTo(session, realm, user);
    }

    private static boolean hasOtp(UserModel user) {
        return user.credentialManager().isConfiguredFor(OTPCredentialModel.TYPE);
    }

    @Override
    public void setRequiredActions(KeycloakSession session, RealmModel realm, UserModel user) {
    }

    @Override
    public void close() {
    }
}
