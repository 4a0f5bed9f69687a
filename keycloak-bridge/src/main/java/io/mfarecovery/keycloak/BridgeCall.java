package io.mfarecovery.keycloak;

import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.sessions.AuthenticationSessionModel;

/** Who is signing in, in which attempt, from where: what every call to the sidecar is about. */
record BridgeCall(String realm, String userId, String attempt, String ip, String userAgent) {

    static BridgeCall of(AuthenticationFlowContext context) {
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        return new BridgeCall(
                context.getRealm().getName(),
                context.getUser().getId(),
                authSession.getParentSession().getId() + "." + authSession.getTabId(),
                context.getConnection().getRemoteAddr(),
                context.getHttpRequest().getHttpHeaders().getHeaderString("User-Agent"));
    }
}
