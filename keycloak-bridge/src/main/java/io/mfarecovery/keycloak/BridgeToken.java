package io.mfarecovery.keycloak;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import org.keycloak.jose.jws.JWSBuilder;

/**
 * The short-lived token that authenticates one call to the sidecar (see docs/architecture.md, "The bridge token").
 * It is bound to realm, user, sign-in attempt and to the method and path of the call, and used once.
 */
final class BridgeToken {

    static final String ISSUER = "mfa-recovery-bridge";
    static final String AUDIENCE = "mfa-recovery-sidecar";
    static final long LIFETIME_SECONDS = 30;

    private BridgeToken() {
    }

    static String sign(byte[] secret, BridgeCall call, String method, String path, long nowEpochSeconds) {
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", ISSUER);
        claims.put("aud", AUDIENCE);
        claims.put("sub", call.userId());
        claims.put("realm", call.realm());
        claims.put("att", call.attempt());
        claims.put("htm", method);
        claims.put("htu", path);
        claims.put("iat", nowEpochSeconds);
        claims.put("exp", nowEpochSeconds + LIFETIME_SECONDS);
        claims.put("jti", UUID.randomUUID().toString());
        return new JWSBuilder().type("JWT").jsonContent(claims).hmac256(secret);
    }
}
