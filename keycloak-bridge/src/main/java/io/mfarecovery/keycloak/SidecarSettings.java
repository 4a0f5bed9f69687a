package io.mfarecovery.keycloak;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.keycloak.Config;

/**
 * How the bridge reaches the sidecar. Read once from Keycloak's SPI configuration, for example
 * {@code --spi-authenticator--mfa-recovery--sidecar-url=http://127.0.0.1:8081}; the secret is best given as the
 * environment variable {@code KC_SPI_AUTHENTICATOR__MFA_RECOVERY__BRIDGE_SECRET} so it stays out of process lists.
 * There is deliberately no default secret: without one every recovery attempt shows the "unavailable" page.
 */
record SidecarSettings(URI sidecarUrl, byte[] bridgeSecret, Duration connectTimeout, Duration readTimeout) {

    static final String DEFAULT_SIDECAR_URL = "http://127.0.0.1:8081";
    static final int MINIMUM_SECRET_BYTES = 32;

    static SidecarSettings from(Config.Scope scope) {
        String secret = scope.get("bridge-secret");
        return new SidecarSettings(
                URI.create(stripTrailingSlash(scope.get("sidecar-url", DEFAULT_SIDECAR_URL))),
                secret == null || secret.isBlank() ? null : secret.getBytes(StandardCharsets.UTF_8),
                Duration.ofMillis(scope.getLong("connect-timeout-ms", 2000L)),
                Duration.ofMillis(scope.getLong("read-timeout-ms", 5000L)));
    }

    boolean hasUsableSecret() {
        return bridgeSecret != null && bridgeSecret.length >= MINIMUM_SECRET_BYTES;
    }

    private static String stripTrailingSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
