package io.mfarecovery.keycloak;

import java.util.List;

import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.authenticators.util.AuthenticatorUtils;
import org.keycloak.events.Errors;
import org.keycloak.forms.login.LoginFormsProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.credential.OTPCredentialModel;
import org.keycloak.models.utils.FormMessage;
import org.keycloak.sessions.AuthenticationSessionModel;

/**
 * "MFA recovery": the alternative to the OTP form. It renders the theme's pages, forwards what the user typed to
 * the sidecar and maps the answer onto the flow. All recovery logic lives in the sidecar.
 */
public class MfaRecoveryAuthenticator implements Authenticator {

    static final String CODE_FIELD = "backupCode";
    static final String CODE_PAGE = "mfa-recovery-code.ftl";
    static final String SIGNED_IN_PAGE = "mfa-recovery-signed-in.ftl";
    static final String NO_METHOD_PAGE = "mfa-recovery-no-method.ftl";
    static final String UNAVAILABLE_PAGE = "mfa-recovery-unavailable.ftl";

    /** Set once the sidecar accepted a code in this sign-in: the signed-in page's "Continue" then finishes. */
    static final String ACCEPTED_NOTE = "mfa-recovery.accepted";

    private static final Logger LOG = Logger.getLogger(MfaRecoveryAuthenticator.class);

    private final SidecarClient sidecar;

    MfaRecoveryAuthenticator(SidecarClient sidecar) {
        this.sidecar = sidecar;
    }

    @Override
    public void authenticate(AuthenticationFlowContext context) {
        SidecarClient.RecoveryOptions options;
        try {
            options = sidecar.start(BridgeCall.of(context));
        } catch (SidecarUnavailableException e) {
            context.challenge(unavailablePage(context, e));
            return;
        }
        if (!options.any()) {
            context.challenge(context.form().createForm(NO_METHOD_PAGE));
            return;
        }
        context.challenge(codePage(context, null));
    }

    @Override
    public void action(AuthenticationFlowContext context) {
        MultivaluedMap<String, String> form = context.getHttpRequest().getDecodedFormParameters();
        if (form.containsKey("continue") && "true".equals(context.getAuthenticationSession().getAuthNote(ACCEPTED_NOTE))) {
            context.getAuthenticationSession().removeAuthNote(ACCEPTED_NOTE);
            context.success();
            return;
        }
        String bruteForceError = AuthenticatorUtils.getDisabledByBruteForceEventError(context, context.getUser());
        if (bruteForceError != null) {
            context.getEvent().user(context.getUser()).error(bruteForceError);
            context.challenge(codePage(context, "mfaRecoveryTemporarilyLocked"));
            return;
        }
        String code = form.getFirst(CODE_FIELD);
        if (code == null || code.isBlank()) {
            context.challenge(codePage(context, "mfaRecoveryCodeMissing"));
            return;
        }
        SidecarClient.Verdict verdict;
        try {
            verdict = sidecar.verifyBackupCode(BridgeCall.of(context), code);
        } catch (SidecarUnavailableException e) {
            context.challenge(unavailablePage(context, e));
            return;
        }
        switch (verdict.result()) {
            case ACCEPTED:
                accepted(context, verdict);
                return;
            case LOCKED:
                context.getEvent().user(context.getUser()).error(Errors.USER_TEMPORARILY_DISABLED);
                context.failureChallenge(AuthenticationFlowError.INVALID_CREDENTIALS,
                        codePage(context, "mfaRecoveryTemporarilyLocked"));
                return;
            default:
                context.getEvent().user(context.getUser()).error(Errors.INVALID_USER_CREDENTIALS);
                context.failureChallenge(AuthenticationFlowError.INVALID_CREDENTIALS,
                        codePage(context, "mfaRecoveryCodeInvalid"));
        }
    }

    /** Carry out what the sidecar decided, then show how many codes are left before finishing the sign-in. */
    private static void accepted(AuthenticationFlowContext context, SidecarClient.Verdict verdict) {
        UserModel user = context.getUser();
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        if (verdict.reenrolOtp()) {
            user.credentialManager().getStoredCredentialsByTypeStream(OTPCredentialModel.TYPE).toList()
                    .forEach(credential -> user.credentialManager().removeStoredCredentialById(credential.getId()));
            user.addRequiredAction(UserModel.RequiredAction.CONFIGURE_TOTP);
        }
        if (verdict.regenerate()) {
            user.addRequiredAction(MfaRecoverySetupActionFactory.PROVIDER_ID);
            authSession.setAuthNote(MfaRecoverySetupAction.REASON_NOTE, MfaRecoverySetupAction.REASON_LOW_CODES);
        }
        authSession.setAuthNote(ACCEPTED_NOTE, "true");
        context.setAuthenticationSelections(List.of());  // the code is spent: no "Try another way" on this page
        context.challenge(context.form()
                .setAttribute("backupCodesRemaining", verdict.remaining())
                .setAttribute("regenerate", verdict.regenerate())
                .setAttribute("reenrolOtp", verdict.reenrolOtp())
                .createForm(SIGNED_IN_PAGE));
    }

    private static Response codePage(AuthenticationFlowContext context, String errorKey) {
        var form = context.form();
        if (errorKey != null) {
            form.addError(new FormMessage(CODE_FIELD, errorKey));
        }
        return form.createForm(CODE_PAGE);
    }

    static Response unavailablePage(LoginFormsProvider form, String realm,
                                    SidecarUnavailableException cause) {
        LOG.warnf("MFA recovery unavailable for realm %s: %s", realm, cause.getMessage());
        return form.createForm(UNAVAILABLE_PAGE);
    }

    private static Response unavailablePage(AuthenticationFlowContext context, SidecarUnavailableException cause) {
        return unavailablePage(context.form(), context.getRealm().getName(), cause);
    }

    @Override
    public boolean requiresUser() {
        return true;
    }

    /** Recovery stands in for a lost authenticator, so it is offered exactly to users who have one configured. */
    @Override
    public boolean configuredFor(KeycloakSession session, RealmModel realm, UserModel user) {
        return user.credentialManager().isConfiguredFor(OTPCredentialModel.TYPE);
    }

    @Override
    public void setRequiredActions(KeycloakSession session, RealmModel realm, UserModel user) {
    }

    @Override
    public void close() {
    }
}
