package io.mfarecovery.keycloak;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.URI;

import org.junit.jupiter.api.Test;

class SidecarSettingsTest {

    @Test
    void plainHttpBeyondThisMachineIsRefusedOutsideDevelopment() {
        assertNotNull(SidecarSettings.urlProblem(URI.create("http://sidecar.internal:8082"), false));
        assertNotNull(SidecarSettings.urlProblem(URI.create("http://10.0.0.5:8082"), false));
        assertNull(SidecarSettings.urlProblem(URI.create("http://sidecar.internal:8082"), true));
    }

    @Test
    void httpsAnywhereAndPlainHttpOnLoopbackAreAllowed() {
        assertNull(SidecarSettings.urlProblem(URI.create("https://sidecar.internal:8082"), false));
        assertNull(SidecarSettings.urlProblem(URI.create("http://127.0.0.1:8082"), false));
        assertNull(SidecarSettings.urlProblem(URI.create("http://localhost:8082"), false));
        assertNull(SidecarSettings.urlProblem(URI.create("http://[::1]:8082"), false));
    }

    @Test
    void otherSchemesAreRefused() {
        assertNotNull(SidecarSettings.urlProblem(URI.create("ftp://127.0.0.1/"), true));
        assertNotNull(SidecarSettings.urlProblem(URI.create("file:///tmp/x"), true));
    }
}
