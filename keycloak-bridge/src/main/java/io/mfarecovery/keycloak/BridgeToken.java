package io.mfarecovery.keycloak;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import org.keycloak.crypto.Algorithm;
import org.keycloak.crypto.KeyUse;
import org.keycloak.crypto.KeyWrapper;
import org.keycloak.crypto.SignatureProvider;
import org.keycloak.jose.jws.JWSBuilder;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

/**
 * The short-lived token that authenticates one call to the sidecar (see docs/architecture.md, "The bridge token").
 * It is bound to realm, user, sign-in attempt and to the method and path of the call, used once, and signed with
 * the realm's own active key through Keycloak's key manager: the sidecar checks it against that realm's JWKS, so
 * a token for a realm can only come from the Keycloak that holds the realm's key. There is no shared secret.
 */
final class BridgeToken {

    static final String TYPE = "mfa-recovery-bridge+jwt";
    static final String ISSUER = "mfa-recovery-bridge";
    static final String AUDIENCE = "mfa-recovery-sidecar";
    static final long LIFETIME_SECONDS = 30;

    /** Signs a token's claims as a compact JWS. */
    @FunctionalInterface
    interface Signer {
        String sign(Map<String, Object> claims) throws SidecarUnavailableException;
    }

    /** A signed token and its id, to which the sidecar binds its answer. */
    record Signed(String token, String jti) {
    }

    private BridgeToken() {
    }

    static Signed sign(Signer signer, BridgeCall call, String method, String path, long nowEpochSeconds)
            throws SidecarUnavailableException {
        String jti = UUID.randomUUID().toString();
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
        claims.put("jti", jti);
        return new Signed(signer.sign(claims), jti);
    }

    /**
     * The realm's active signing key for its default algorithm (RS256 when that is unset or symmetric: the
     * sidecar accepts only keys it can check against the published JWKS).
     */
    static Signer realmKey(KeycloakSession session, RealmModel realm) {
        return claims -> {
            String algorithm = asymmetric(realm.getDefaultSignatureAlgorithm());
            try {
                KeyWrapper key = session.keys().getActiveKey(realm, KeyUse.SIG, algorithm);
                SignatureProvider provider = session.getProvider(SignatureProvider.class, algorithm);
                return new JWSBuilder().type(TYPE).jsonContent(claims).sign(provider.signer(key));
            } catch (RuntimeException e) {
                throw new SidecarUnavailableException("cannot sign a bridge token with the realm's " + algorithm
                        + " key: " + e.getMessage(), e);
            }
        };
    }

    static String asymmetric(String algorithm) {
        return algorithm == null || algorithm.isBlank() || algorithm.startsWith("HS") ? Algorithm.RS256 : algorithm;
    }
}
