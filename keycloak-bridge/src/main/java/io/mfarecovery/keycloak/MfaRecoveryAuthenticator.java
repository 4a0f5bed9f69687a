package io.mfarecovery.keycloak;

import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.authenticators.util.AuthenticatorUtils;
import org.keycloak.events.Errors;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.models.credential.OTPCredentialModel;
import org.keycloak.models.utils.FormMessage;

/**
 * "MFA recovery": the alternative to the OTP form. It renders the theme's pages, forwards what the user typed to
 * the sidecar and maps the answer onto the flow. All recovery logic lives in the sidecar.
 */
public class MfaRecoveryAuthenticator implements Authenticator {

    static final String CODE_FIELD = "backupCode";
    static final String CODE_PAGE = "mfa-recovery-code.ftl";
    static final String NO_METHOD_PAGE = "mfa-recovery-no-method.ftl";
    static final String UNAVAILABLE_PAGE = "mfa-recovery-unavailable.ftl";

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
        String bruteForceError = AuthenticatorUtils.getDisabledByBruteForceEventError(context, context.getUser());
        if (bruteForceError != null) {
            context.getEvent().user(context.getUser()).error(bruteForceError);
            context.challenge(codePage(context, "mfaRecoveryTemporarilyLocked"));
            return;
        }
        String code = context.getHttpRequest().getDecodedFormParameters().getFirst(CODE_FIELD);
        if (code == null || code.isBlank()) {
            context.challenge(codePage(context, "mfaRecoveryCodeMissing"));
            return;
        }
        boolean accepted;
        try {
            accepted = sidecar.verifyBackupCode(BridgeCall.of(context), code);
        } catch (SidecarUnavailableException e) {
            context.challenge(unavailablePage(context, e));
            return;
        }
        if (accepted) {
            context.success();
            return;
        }
        context.getEvent().user(context.getUser()).error(Errors.INVALID_USER_CREDENTIALS);
        context.failureChallenge(AuthenticationFlowError.INVALID_CREDENTIALS, codePage(context, "mfaRecoveryCodeInvalid"));
    }

    private static Response codePage(AuthenticationFlowContext context, String errorKey) {
        var form = context.form();
        if (errorKey != null) {
            form.addError(new FormMessage(CODE_FIELD, errorKey));
        }
        return form.createForm(CODE_PAGE);
    }

    private static Response unavailablePage(AuthenticationFlowContext context, SidecarUnavailableException cause) {
        LOG.warnf("MFA recovery unavailable for realm %s: %s", context.getRealm().getName(), cause.getMessage());
        return context.form().createForm(UNAVAILABLE_PAGE);
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
