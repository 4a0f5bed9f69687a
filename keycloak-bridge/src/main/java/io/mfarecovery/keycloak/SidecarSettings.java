package io.mfarecovery.keycloak;

import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Set;

import org.keycloak.Config;

/**
 * How the bridge reaches the sidecar, read once from Keycloak's SPI configuration, for example
 * {@code --spi-authenticator--mfa-recovery--sidecar-url=https://sidecar.internal:8082} and
 * {@code --spi-authenticator--mfa-recovery--answer-public-key=<base64>} (the sidecar's answer key, printed by
 * {@code mfa-recovery answer-key public}; it is not secret).
 *
 * <p>{@code problem} says why the bridge must not call the sidecar at all (then every recovery attempt shows the
 * "unavailable" page): no usable answer key, or a sidecar URL that is neither https nor plain http on this
 * machine, outside Keycloak's development mode. Over plain http beyond loopback anyone on the path would read new
 * backup codes.
 */
record SidecarSettings(URI sidecarUrl, PublicKey answerKey, Duration connectTimeout, Duration readTimeout,
                       String problem) {

    static final String DEFAULT_SIDECAR_URL = "http://127.0.0.1:8082";
    static final String ANSWER_KEY_OPTION = "answer-public-key";
    private static final Set<String> LOOPBACK_HOSTS = Set.of("127.0.0.1", "localhost", "[::1]", "::1");

    static SidecarSettings from(Config.Scope scope, boolean developmentMode) {
        URI url = URI.create(stripTrailingSlash(scope.get("sidecar-url", DEFAULT_SIDECAR_URL)));
        PublicKey answerKey = null;
        String problem = null;
        String encodedKey = scope.get(ANSWER_KEY_OPTION);
        if (encodedKey == null || encodedKey.isBlank()) {
            problem = "no " + ANSWER_KEY_OPTION + " is configured (spi-authenticator--mfa-recovery--"
                    + ANSWER_KEY_OPTION + ")";
        } else {
            try {
                answerKey = AnswerSignature.publicKey(encodedKey);
            } catch (GeneralSecurityException e) {
                problem = ANSWER_KEY_OPTION + " is not a base64 Ed25519 public key: " + e.getMessage();
            }
        }
        String urlProblem = urlProblem(url, developmentMode);
        return new SidecarSettings(url, answerKey,
                Duration.ofMillis(scope.getLong("connect-timeout-ms", 2000L)),
                Duration.ofMillis(scope.getLong("read-timeout-ms", 5000L)),
                urlProblem != null ? urlProblem : problem);
    }

    /** Why the bridge may not send codes to this URL, or null. */
    static String urlProblem(URI url, boolean developmentMode) {
        String scheme = url.getScheme();
        if (!"https".equals(scheme) && !"http".equals(scheme) || url.getHost() == null) {
            return "sidecar-url must be an http(s) URL, got " + url;
        }
        if ("http".equals(scheme) && !developmentMode && !LOOPBACK_HOSTS.contains(url.getHost())) {
            return "sidecar-url must be https unless the sidecar runs on this machine (loopback), got " + url;
        }
        return null;
    }

    boolean usable() {
        return problem == null;
    }

    private static String stripTrailingSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
