package io.mfarecovery.keycloak;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

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
    static final String EMAIL_CODE_SEND_PATH = "/bridge/v1/email-code/send";
    static final String EMAIL_CODE_VERIFY_PATH = "/bridge/v1/email-code/verify";
    static final String SUPERVISOR_PATH = "/bridge/v1/supervisor";
    static final String SUPERVISOR_NOTIFY_PATH = "/bridge/v1/supervisor/notify";
    static final String BACKUP_EMAIL_START_PATH = "/bridge/v1/backup-email/start";
    static final String BACKUP_EMAIL_VERIFY_PATH = "/bridge/v1/backup-email/verify";

    /**
     * Names each call in the sidecar's log lines and its answer: a random UUID per call, so that a line of
     * Keycloak's log about a failed call can be found in the sidecar's. Never derived from the authentication
     * session (its id is the browser's cookie) nor from the token.
     */
    static final String REQUEST_ID_HEADER = "X-Request-Id";

    private final SidecarSettings settings;
    private final HttpClient http;

    SidecarClient(SidecarSettings settings) {
        this.settings = settings;
        // HTTP/1.1 as the sidecar (gunicorn) speaks it: the default HTTP/2 would ask every new connection for an
        // upgrade (h2c) or an ALPN choice that the sidecar never accepts.
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
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
        List<String> names = new ArrayList<>();
        methods.forEach(method -> names.add(method.asText()));
        return RecoveryOptions.of(names, text(answer, "email_hint"));
    }

    /** The sidecar's verdict on a typed backup code (it consumes an accepted code). */
    Verdict verifyBackupCode(BridgeCall call, String code) throws SidecarUnavailableException {
        JsonNode answer = post(VERIFY_BACKUP_CODE_PATH, call, Map.of("code", code));
        return new Verdict(result(answer, Verdict.Result.class, VERIFY_BACKUP_CODE_PATH),
                answer.path("backup_codes_remaining").asInt(0), answer.path("regenerate").asBoolean(false),
                answer.path("reenrol_otp").asBoolean(false), answer.path("retry_after_seconds").asInt(0));
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
        JsonNode backupEmail = answer.path("backup_email");
        return new SetupOffer(show, answer.path("skippable").asBoolean(false), answer.path("set_id").asText(""),
                List.copyOf(codes), new BackupEmail(backupEmail.path("enabled").asBoolean(false),
                        text(backupEmail, "address_hint"), backupEmail.path("verified").asBoolean(false)));
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

    /** Mails a sign-in code to the user's verified backup address. */
    CodeMailing<SignInCodeMail> sendEmailCode(BridgeCall call, UserProfile profile)
            throws SidecarUnavailableException {
        return mailing(EMAIL_CODE_SEND_PATH, call, Map.of("profile", profile.asJson()), SignInCodeMail.class);
    }

    /** The sidecar's verdict on a typed sign-in code from the mail (it consumes an accepted code). */
    CodeCheck<SignInCodeCheck> verifyEmailCode(BridgeCall call, UserProfile profile, String code)
            throws SidecarUnavailableException {
        return check(EMAIL_CODE_VERIFY_PATH, call, profile, code, SignInCodeCheck.class);
    }

    /** Who the user's supervisor is, and whether the user may ask the sidecar to notify them. */
    Supervisor supervisor(BridgeCall call) throws SidecarUnavailableException {
        JsonNode answer = post(SUPERVISOR_PATH, call, Map.of());
        if (!answer.has("supervisor")) {
            throw new SidecarUnavailableException("supervisor answer without supervisor");
        }
        String name = text(answer.path("supervisor"), "name");
        return new Supervisor(name, name != null && answer.path("can_notify").asBoolean(false),
                answer.path("retry_after_seconds").asInt(0));
    }

    /** Asks the sidecar to tell the supervisor that the user cannot sign in. */
    SupervisorNotice notifySupervisor(BridgeCall call, UserProfile profile) throws SidecarUnavailableException {
        JsonNode answer = post(SUPERVISOR_NOTIFY_PATH, call, Map.of("profile", profile.asJson()));
        return new SupervisorNotice(result(answer, NoticeResult.class, SUPERVISOR_NOTIFY_PATH),
                text(answer.path("supervisor"), "name"), answer.path("retry_after_seconds").asInt(0));
    }

    /** Mails a code to a new backup address; the address becomes the backup address once the code is typed. */
    CodeMailing<AddressCodeMail> startBackupEmail(BridgeCall call, UserProfile profile, String address)
            throws SidecarUnavailableException {
        return mailing(BACKUP_EMAIL_START_PATH, call, Map.of("address", address, "profile", profile.asJson()),
                AddressCodeMail.class);
    }

    /** Checks the code mailed to the new backup address. */
    CodeCheck<AddressCodeCheck> verifyBackupEmail(BridgeCall call, UserProfile profile, String code)
            throws SidecarUnavailableException {
        return check(BACKUP_EMAIL_VERIFY_PATH, call, profile, code, AddressCodeCheck.class);
    }

    private <R extends Enum<R>> CodeMailing<R> mailing(String path, BridgeCall call, Map<String, Object> fields,
                                                       Class<R> results) throws SidecarUnavailableException {
        JsonNode answer = post(path, call, fields);
        return new CodeMailing<>(result(answer, results, path), text(answer, "address_hint"),
                answer.path("expires_in_seconds").asInt(0), answer.path("retry_after_seconds").asInt(0));
    }

    private <R extends Enum<R>> CodeCheck<R> check(String path, BridgeCall call, UserProfile profile, String code,
                                                   Class<R> results) throws SidecarUnavailableException {
        JsonNode answer = post(path, call, Map.of("code", code, "profile", profile.asJson()));
        return new CodeCheck<>(result(answer, results, path), answer.path("attempts_left").asInt(0),
                answer.path("reenrol_otp").asBoolean(false), text(answer, "address_hint"),
                answer.path("retry_after_seconds").asInt(0));
    }

    /** The answer's {@code result}: the constant of {@code results} named so in lower case; any other is trouble. */
    private static <R extends Enum<R>> R result(JsonNode answer, Class<R> results, String path)
            throws SidecarUnavailableException {
        String result = answer.path("result").asText("");
        for (R candidate : results.getEnumConstants()) {
            if (candidate.name().toLowerCase(Locale.ROOT).equals(result)) {
                return candidate;
            }
        }
        throw new SidecarUnavailableException("unexpected result '" + result + "' on " + path);
    }

    /** A string field of the answer, or null when it is missing, null or empty. */
    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isTextual() && !value.asText().isEmpty() ? value.asText() : null;
    }

    private JsonNode post(String path, BridgeCall call, Map<String, Object> fields) throws SidecarUnavailableException {
        if (!settings.usable()) {
            throw new SidecarUnavailableException(settings.problem());
        }
        Map<String, Object> body = new LinkedHashMap<>(fields);
        putIfPresent(body, "ip", call.ip());
        putIfPresent(body, "user_agent", call.userAgent());
        BridgeToken.Signed token = BridgeToken.sign(call.signer(), call, "POST", path, Instant.now().getEpochSecond());
        String requestId = UUID.randomUUID().toString();
        String where = path + " (request " + requestId + ")";
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(settings.sidecarUrl() + path))
                    .timeout(settings.readTimeout())
                    .header("Authorization", "Bearer " + token.token())
                    .header(REQUEST_ID_HEADER, requestId)
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JsonSerialization.writeValueAsBytes(body)))
                    .build();
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new SidecarUnavailableException("sidecar answered " + response.statusCode() + " on " + where);
            }
            String signature = response.headers().firstValue(AnswerSignature.HEADER).orElse(null);
            if (!AnswerSignature.verify(settings.answerKey(), token.jti(), response.body(), signature)) {
                throw new SidecarUnavailableException("the answer on " + where + " is not signed by the sidecar's "
                        + "answer key for this call");
            }
            return JsonSerialization.readValue(response.body(), JsonNode.class);
        } catch (IOException e) {
            throw new SidecarUnavailableException("sidecar unreachable on " + where + ": " + e, e);
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

    /** The recovery methods the sidecar offers this user; {@code emailHint} is the masked backup address. */
    record RecoveryOptions(boolean backupCode, boolean email, String emailHint) {

        static final String BACKUP_CODE = "backup_code";
        static final String EMAIL = "email";

        /** From the method names of the contract; names this bridge does not know are ignored. */
        static RecoveryOptions of(Iterable<String> methods, String emailHint) {
            Set<String> names = new LinkedHashSet<>();
            methods.forEach(names::add);
            return new RecoveryOptions(names.contains(BACKUP_CODE), names.contains(EMAIL), emailHint);
        }

        boolean any() {
            return backupCode || email;
        }

        /** The method names, comma-separated, as {@link #of} reads them back. */
        String methods() {
            List<String> names = new ArrayList<>();
            if (backupCode) {
                names.add(BACKUP_CODE);
            }
            if (email) {
                names.add(EMAIL);
            }
            return String.join(",", names);
        }

        RecoveryOptions withoutEmail() {
            return new RecoveryOptions(backupCode, false, null);
        }
    }

    record Verdict(Result result, int remaining, boolean regenerate, boolean reenrolOtp, int retryAfterSeconds) {
        enum Result { ACCEPTED, REJECTED, LOCKED }
    }

    /** The state of the backup address shown on the setup page ({@code enabled}: the realm's email method). */
    record BackupEmail(boolean enabled, String addressHint, boolean verified) {
    }

    record SetupOffer(boolean show, boolean skippable, String setId, List<String> codes, BackupEmail backupEmail) {
    }

    /** The answer to a request for a code by mail; the times are 0 when the answer does not carry them. */
    record CodeMailing<R extends Enum<R>>(R result, String addressHint, int expiresInSeconds, int retryAfterSeconds) {
    }

    /** The answer to a typed code from a mail. */
    record CodeCheck<R extends Enum<R>>(R result, int attemptsLeft, boolean reenrolOtp, String addressHint,
                                        int retryAfterSeconds) {
    }

    /** {@code email-code/send}. */
    enum SignInCodeMail { SENT, COOLDOWN, CAPPED, UNAVAILABLE, MAIL_FAILED }

    /** {@code email-code/verify}. */
    enum SignInCodeCheck { ACCEPTED, REJECTED, EXPIRED, LOCKED }

    /** {@code backup-email/start}. */
    enum AddressCodeMail { SENT, INVALID_ADDRESS, SAME_AS_PRIMARY, COOLDOWN, CAPPED, DISABLED, MAIL_FAILED }

    /** {@code backup-email/verify}. */
    enum AddressCodeCheck { VERIFIED, REJECTED, EXPIRED }

    /** {@code name} is null when no supervisor is known; then {@code canNotify} is false. */
    record Supervisor(String name, boolean canNotify, int retryAfterSeconds) {
    }

    record SupervisorNotice(NoticeResult result, String supervisorName, int retryAfterSeconds) {
    }

    /** {@code supervisor/notify}. */
    enum NoticeResult { QUEUED, RATE_LIMITED, NO_SUPERVISOR }
}
