package io.mfarecovery.keycloak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

class BridgeTokenTest {

    private static final BridgeCall CALL = new BridgeCall("acme", "user-1", "root.tab", "192.0.2.1", "UA", null);

    @Test
    void claimsBindTheTokenToRealmUserAttemptAndCall() throws SidecarUnavailableException {
        Map<String, Object> seen = new HashMap<>();
        BridgeToken.Signed signed = BridgeToken.sign(claims -> {
            seen.putAll(claims);
            return "signed";
        }, CALL, "POST", "/bridge/v1/backup-codes/verify", 1_000L);

        assertEquals("signed", signed.token());
        assertEquals(signed.jti(), seen.get("jti"));
        assertEquals("mfa-recovery-bridge", seen.get("iss"));
        assertEquals("mfa-recovery-sidecar", seen.get("aud"));
        assertEquals("user-1", seen.get("sub"));
        assertEquals("acme", seen.get("realm"));
        assertEquals("root.tab", seen.get("att"));
        assertEquals("POST", seen.get("htm"));
        assertEquals("/bridge/v1/backup-codes/verify", seen.get("htu"));
        assertEquals(1_000L, seen.get("iat"));
        assertEquals(1_030L, seen.get("exp"));
    }

    @Test
    void everyCallHasItsOwnTokenId() throws SidecarUnavailableException {
        BridgeToken.Signer echo = claims -> (String) claims.get("jti");
        assertNotEquals(BridgeToken.sign(echo, CALL, "POST", "/p", 1L).jti(),
                BridgeToken.sign(echo, CALL, "POST", "/p", 1L).jti());
    }

    @Test
    void symmetricOrMissingRealmAlgorithmsFallBackToRs256() {
        assertEquals("RS256", BridgeToken.asymmetric(null));
        assertEquals("RS256", BridgeToken.asymmetric(""));
        assertEquals("RS256", BridgeToken.asymmetric("HS256"));
        assertEquals("ES256", BridgeToken.asymmetric("ES256"));
    }
}
