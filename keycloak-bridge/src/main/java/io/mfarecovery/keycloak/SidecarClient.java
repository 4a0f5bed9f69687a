package io.mfarecovery.keycloak;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.keycloak.util.JsonSerialization;

/**
 * Calls the sidecar's bridge API (docs/architecture.md). Thread-safe; one instance per factory. Every answer it
 * cannot understand becomes a {@link SidecarUnavailableException}, which the callers turn into the "unavailable"
 * page.
 */
final class SidecarClient {

    static final String START_PATH = "/bridge/v1/recovery/start";
    static final String VERIFY_BACKUP_CODE_PATH = "/bridge/v1/backup-codes/verify";
    static final String SETUP_PATH = "/bridge/v1/backup-codes/setup";
    static final String CONFIRM_PATH = "/bridge/v1/backup-codes/confirm";

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
        return new RecoveryOptions(backupCode);
    }

    /** The sidecar's verdict on a typed backup code (it consumes an accepted code). */
    Verdict verifyBackupCode(BridgeCall call, String code) throws SidecarUnavailableException {
        JsonNode answer = post(VERIFY_BACKUP_CODE_PATH, call, Map.of("code", code));
        switch (answer.path("result").asText("")) {
            case "accepted":
                return new Verdict(Verdict.Result.ACCEPTED, answer.path("backup_codes_remaining").asInt(0),
                        answer.path("regenerate").asBoolean(false), answer.path("reenrol_otp").asBoolean(false), 0);
            case "rejected":
                return new Verdict(Verdict.Result.REJECTED, 0, false, false, 0);
            case "locked":
                return new Verdict(Verdict.Result.LOCKED, 0, false, false,
                        answer.path("retry_after_seconds").asInt(0));
            default:
                throw new SidecarUnavailableException("unexpected verify answer " + answer);
        }
    }

    /** A new, pending set of codes to show, or none when the sidecar says the page should not appear. */
    SetupOffer setup(BridgeCall call, String reason) throws SidecarUnavailableException {
        JsonNode answer = post(SETUP_PATH, call, Map.of("reason", reason));
        List<String> codes = new ArrayList<>();
        answer.path("codes").forEach(code -> codes.add(code.asText()));
        boolean show = answer.path("show").asBoolean(!codes.isEmpty());
        if (show && (codes.isEmpty() || answer.path("set_id").asText("").isEmpty())) {
            throw new SidecarUnavailableException("setup answer without codes");
        }
        return new SetupOffer(show, answer.path("skippable").asBoolean(false), answer.path("set_id").asText(""),
                List.copyOf(codes));
    }

    /** Makes the pending set the user's codes; false when it has expired (the caller offers a new one). */
    boolean confirm(BridgeCall call, String setId) throws SidecarUnavailableException {
        String result = post(CONFIRM_PATH, call, Map.of("set_id", setId)).path("result").asText("");
        switch (result) {
            case "activated":
                return true;
            case "expired":
                return false;
            default:
                throw new SidecarUnavailableException("unexpected confirm result '" + result + "'");
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

    record RecoveryOptions(boolean backupCode) {
        boolean any() {
            return backupCode;
        }
    }

    record Verdict(Result result, int remaining, boolean regenerate, boolean reenrolOtp, int retryAfterSeconds) {
        enum Result { ACCEPTED, REJECTED, LOCKED }
    }

    record SetupOffer(boolean show, boolean skippable, String setId, List<String> codes) {
    }
}
