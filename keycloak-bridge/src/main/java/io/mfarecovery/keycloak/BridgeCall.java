package io.mfarecovery.keycloak;

import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.RequiredActionContext;
import org.keycloak.common.ClientConnection;
import org.keycloak.http.HttpRequest;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.sessions.AuthenticationSessionModel;

/**
 * Who is signing in, in which attempt, from where: what every call to the sidecar is about, and how its token is
 * signed (with this realm's key).
 */
record BridgeCall(String realm, String userId, String attempt, String ip, String userAgent,
                  BridgeToken.Signer signer) {

    static BridgeCall of(AuthenticationFlowContext context) {
        return of(context.getSession(), context.getRealm(), context.getUser(), context.getAuthenticationSession(),
                context.getConnection(), context.getHttpRequest());
    }

    static BridgeCall of(RequiredActionContext context) {
        return of(context.getSession(), context.getRealm(), context.getUser(), context.getAuthenticationSession(),
                context.getConnection(), context.getHttpRequest());
    }

    private static BridgeCall of(KeycloakSession session, RealmModel realm, UserModel user,
                                 AuthenticationSessionModel authSession, ClientConnection connection,
                                 HttpRequest request) {
        return new BridgeCall(
                realm.getName(),
                user.getId(),
                authSession.getParentSession().getId() + "." + authSession.getTabId(),
                connection.getRemoteAddr(),
                request.getHttpHeaders().getHeaderString("User-Agent"),
                BridgeToken.realmKey(session, realm));
    }
}
