package io.mfarecovery.keycloak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

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

    @Test
    void theClaimsAreExactlyThoseTheContractRequires() throws SidecarUnavailableException {
        Map<String, Object> seen = new HashMap<>();
        BridgeToken.sign(claims -> {
            seen.putAll(claims);
            return "signed";
        }, CALL, "POST", "/p", 1_000L);
        assertEquals(Set.of("iss", "aud", "sub", "realm", "att", "htm", "htu", "iat", "exp", "jti"), seen.keySet());
    }

    @Test
    void theTokenLivesWithinTheSidecarsLimitAndItsIdIsPrintableAscii() throws SidecarUnavailableException {
        assertTrue(BridgeToken.LIFETIME_SECONDS > 0 && BridgeToken.LIFETIME_SECONDS <= 60);
        String jti = BridgeToken.sign(claims -> "signed", CALL, "POST", "/p", 1L).jti();
        assertTrue(jti.matches("[\\x21-\\x7e]{1,255}"), jti);
    }

    @Test
    void aSignerThatCannotSignMakesTheSidecarUnavailable() {
        SidecarUnavailableException failure = new SidecarUnavailableException("no key");
        assertSame(failure, assertThrows(SidecarUnavailableException.class, () -> BridgeToken.sign(claims -> {
            throw failure;
        }, CALL, "POST", "/p", 1L)));
    }

    @Test
    void theDescriptionOfTheBridgeApiNamesTheTypeIssuerAudienceAndEveryClaim() throws IOException {
        String description = BridgeSpec.load().tokenDescription();
        for (String named : new String[] {BridgeToken.TYPE, BridgeToken.ISSUER, BridgeToken.AUDIENCE, "iss", "aud",
                "sub", "realm", "att", "htm", "htu", "iat", "exp", "jti"}) {
            assertTrue(description.contains("`" + named + "`"), named);
        }
    }
}
