package io.mfarecovery.keycloak;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KeycloakVersionsTest {

    @Test
    void theVersionsTestedAreSupported() {
        assertNull(KeycloakVersions.problem("26.4.7"));
        assertNull(KeycloakVersions.problem("26.7.3"));
        assertNull(KeycloakVersions.problem("26.4.0"));
        assertNull(KeycloakVersions.problem("26.9.0-SNAPSHOT"));
    }

    @Test
    void olderAndOtherMajorVersionsAreRefusedWithTheReason() {
        for (String version : new String[] {"26.3.5", "25.0.6", "24.0.0", "27.0.0"}) {
            String problem = KeycloakVersions.problem(version);
            assertTrue(problem != null && problem.contains(version) && problem.contains("26.4 and later 26.x"), version);
        }
    }

    @Test
    void anUnreadableVersionIsRefused() {
        assertTrue(KeycloakVersions.problem("unknown").contains("cannot be read"));
        assertTrue(KeycloakVersions.problem(null).contains("cannot be read"));
    }
}
