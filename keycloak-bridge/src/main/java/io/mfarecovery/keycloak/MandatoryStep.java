package io.mfarecovery.keycloak;

import java.util.ArrayList;
import java.util.List;

import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.AuthenticationFlowModel;
import org.keycloak.models.RealmModel;

/**
 * Whether the realm forces MFA for all users, read from Keycloak's own flow settings every time (so a change made
 * in the admin console counts): a subflow that holds the MFA recovery step in the realm's browser flow is
 * REQUIRED rather than CONDITIONAL. The sidecar's admin API switches it; docs/architecture.md has the details.
 */
final class MandatoryStep {

    private MandatoryStep() {
    }

    /** The ids of the subflows of the browser flow that hold the recovery step and are entered as REQUIRED. */
    static List<String> forcedSubflows(RealmModel realm) {
        List<String> found = new ArrayList<>();
        AuthenticationFlowModel browserFlow = realm.getBrowserFlow();
        if (browserFlow != null) {
            collect(realm, browserFlow.getId(), false, found);
        }
        return found;
    }

    /** {@code required}: the execution that leads into {@code flowId} is REQUIRED. */
    private static void collect(RealmModel realm, String flowId, boolean required, List<String> found) {
        realm.getAuthenticationExecutionsStream(flowId).forEach(execution -> {
            if (execution.isAuthenticatorFlow()) {
                collect(realm, execution.getFlowId(), execution.isRequired(), found);
            } else if (required && isRecoveryStep(execution) && !found.contains(flowId)) {
                found.add(flowId);
            }
        });
    }

    private static boolean isRecoveryStep(AuthenticationExecutionModel execution) {
        return MfaRecoveryAuthenticatorFactory.PROVIDER_ID.equals(execution.getAuthenticator());
    }
}
