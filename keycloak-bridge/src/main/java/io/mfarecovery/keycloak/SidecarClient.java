package io.mfarecovery.keycloak;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.keycloak.util.JsonSerialization;

/** Calls the sidecar's bridge API. Thread-safe; one instance is shared by all authenticator instances. */
final class SidecarClient {

    static final String START_PATH = "/bridge/v1/recovery/start";
    static final String VERIFY_BACKUP_CODE_PATH = "/bridge/v1/backup-codes/verify";

    private final SidecarSettings settings;
    private final HttpClient http;

    SidecarClient(SidecarSettings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder()
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** What the user can recover with right now. */
    RecoveryOptions start(BridgeCall call) throws SidecarUnavailableException {
        JsonNode answer = post(START_PATH, call, Map.of());
        JsonNode methods = answer.path("methods");
        if (!methods.isArray()) {
            throw new SidecarUnavailableException("start answer without methods");
        }
        boolean backupCode = false;
        for (JsonNode method : methods) {
            backupCode |= "backup_code".equals(method.asText());
        }
        return new RecoveryOptions(backupCode, answer.path("backup_codes_remaining").asInt(0));
    }

    /** Whether the sidecar accepted (and consumed) the backup code. */
    boolean verifyBackupCode(BridgeCall call, String code) throws SidecarUnavailableException {
        String result = post(VERIFY_BACKUP_CODE_PATH, call, Map.of("code", code)).path("result").asText("");
        switch (result) {
            case "accepted":
                return true;
            case "rejected":
                return false;
            default:
                throw new SidecarUnavailableException("unexpected verify result '" + result + "'");
        }
    }

    private JsonNode post(String path, BridgeCall call, Map<String, Object> fields) throws SidecarUnavailableException {
        if (!settings.hasUsableSecret()) {
            throw new SidecarUnavailableException("no bridge secret of at least " + SidecarSettings.MINIMUM_SECRET_BYTES
                    + " bytes is configured (spi-authenticator--mfa-recovery--bridge-secret)");
        }
        Map<String, Object> body = new LinkedHashMap<>(fields);
        putIfPresent(body, "ip", call.ip());
        putIfPresent(body, "user_agent", call.userAgent());
        String token = BridgeToken.sign(settings.bridgeSecret(), call, "POST", path, Instant.now().getEpochSecond());
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(settings.sidecarUrl() + path))
                    .timeout(settings.readTimeout())
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JsonSerialization.writeValueAsBytes(body)))
                    .build();
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new SidecarUnavailableException("sidecar answered " + response.statusCode() + " on " + path);
            }
            return JsonSerialization.readValue(response.body(), JsonNode.class);
        } catch (IOException e) {
            throw new SidecarUnavailableException("sidecar unreachable on " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SidecarUnavailableException("interrupted while calling the sidecar", e);
        }
    }

    private static void putIfPresent(Map<String, Object> body, String key, String value) {
        if (value != null && !value.isEmpty()) {
            body.put(key, value);
        }
    }

    record RecoveryOptions(boolean backupCode, int backupCodesRemaining) {
        boolean any() {
            return backupCode;
        }
    }
}
