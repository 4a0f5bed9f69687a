package io.mfarecovery.keycloak;

import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.AuthenticationFlowModel;
import org.keycloak.models.RealmModel;

/**
 * Whether the realm forces MFA for all users, read from Keycloak's own flow settings every time (so a change made
 * in the admin console counts): the subflow that holds the MFA recovery step in the realm's browser flow is
 * REQUIRED rather than CONDITIONAL. The sidecar's admin API switches it; docs/architecture.md has the details.
 */
final class MandatoryStep {

    private MandatoryStep() {
    }

    static boolean isMandatory(RealmModel realm) {
        AuthenticationFlowModel browserFlow = realm.getBrowserFlow();
        return browserFlow != null && holdsRequiredRecoveryStep(realm, browserFlow.getId(), false);
    }

    /** {@code required}: the execution that leads into {@code flowId} is REQUIRED. */
    private static boolean holdsRequiredRecoveryStep(RealmModel realm, String flowId, boolean required) {
        return realm.getAuthenticationExecutionsStream(flowId).anyMatch(execution -> execution.isAuthenticatorFlow()
                ? holdsRequiredRecoveryStep(realm, execution.getFlowId(), execution.isRequired())
                : required && isRecoveryStep(execution));
    }

    private static boolean isRecoveryStep(AuthenticationExecutionModel execution) {
        return MfaRecoveryAuthenticatorFactory.PROVIDER_ID.equals(execution.getAuthenticator());
    }
}
