package io.mfarecovery.keycloak;

import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.AuthenticatorFactory;
import org.keycloak.authentication.authenticators.conditional.ConditionalAuthenticator;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.RequiredActionProviderModel;
import org.keycloak.models.UserModel;

/**
 * While MFA is forced for all users, the recovery step also takes a user without an authenticator app, to send them
 * to enrol one: Keycloak's OTP form, being an alternative, cannot do that itself. That path must never let someone
 * with only the password skip a second factor the user has. So it applies only to a user who has no credential of
 * any other authenticator in the forced subflow (OTP, WebAuthn, Keycloak's recovery codes, ...): each authenticator
 * answers for itself through its own {@code configuredFor}. An authenticator this bridge cannot ask counts as
 * configured, so the path stays closed when in doubt.
 */
final class ForcedEnrolment {

    static final String CONFIGURE_TOTP = UserModel.RequiredAction.CONFIGURE_TOTP.name();

    private ForcedEnrolment() {
    }

    /** The user may take the forced path: MFA is forced and no other second factor of that subflow is theirs. */
    static boolean appliesTo(KeycloakSession session, RealmModel realm, UserModel user) {
        var forcedSubflows = MandatoryStep.forcedSubflows(realm);
        return !forcedSubflows.isEmpty()
                && forcedSubflows.stream().noneMatch(flowId -> hasOtherFactor(session, realm, user, flowId));
    }

    /** Keycloak skips a required action that is disabled: then enrolment cannot be enforced. */
    static boolean enrolmentEnabled(RealmModel realm) {
        RequiredActionProviderModel action = realm.getRequiredActionProviderByAlias(CONFIGURE_TOTP);
        return action != null && action.isEnabled();
    }

    private static boolean hasOtherFactor(KeycloakSession session, RealmModel realm, UserModel user, String flowId) {
        return realm.getAuthenticationExecutionsStream(flowId)
                .filter(execution -> !execution.isDisabled())
                .anyMatch(execution -> execution.isAuthenticatorFlow()
                        ? hasOtherFactor(session, realm, user, execution.getFlowId())
                        : isOtherFactorOf(session, realm, user, execution));
    }

    private static boolean isOtherFactorOf(KeycloakSession session, RealmModel realm, UserModel user,
                                           AuthenticationExecutionModel execution) {
        if (MfaRecoveryAuthenticatorFactory.PROVIDER_ID.equals(execution.getAuthenticator())) {
            return false;
        }
        AuthenticatorFactory factory = (AuthenticatorFactory) session.getKeycloakSessionFactory()
                .getProviderFactory(Authenticator.class, execution.getAuthenticator());
        if (factory == null) {
            return true;
        }
        Authenticator authenticator = factory.create(session);
        try {
            if (authenticator instanceof ConditionalAuthenticator || !authenticator.requiresUser()) {
                return false;
            }
            return authenticator.configuredFor(session, realm, user);
        } finally {
            authenticator.close();
        }
    }
}
