package io.mfarecovery.keycloak;

import static io.mfarecovery.keycloak.FakeSidecar.CALL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import io.mfarecovery.keycloak.SidecarClient.AddressCodeCheck;
import io.mfarecovery.keycloak.SidecarClient.AddressCodeMail;
import io.mfarecovery.keycloak.SidecarClient.CodeCheck;
import io.mfarecovery.keycloak.SidecarClient.CodeMailing;
import io.mfarecovery.keycloak.SidecarClient.NoticeResult;
import io.mfarecovery.keycloak.SidecarClient.SignInCodeCheck;
import io.mfarecovery.keycloak.SidecarClient.SignInCodeMail;

/**
 * The client against the sidecar's description of the bridge API ({@link BridgeSpec#FILE}): every call goes to a
 * path the description has, with a body its request schema allows, and every example answer of the description
 * is read into what it says. The sidecar's side is checked against the same file by
 * {@code tests/unit/test_bridge_openapi.py}.
 */
class BridgeContractTest {

    private static final UserProfile PROFILE = new UserProfile("jdoe", "Jan", "jan@acme.example", "nl");

    /** What the client made of an answer, under the contract's member names (a nested member as "a.b"). */
    @FunctionalInterface
    interface Reading {
        Map<String, Object> read(SidecarClient client) throws SidecarUnavailableException;
    }

    /** A client call, and the members of its answer the client does not read. */
    record Use(Reading reading, Set<String> ignored) {
    }

    private static final Map<String, Use> USES = Map.of(
            SidecarClient.START_PATH, new Use(client -> {
                SidecarClient.RecoveryOptions options = client.start(CALL);
                List<String> methods = options.methods().isEmpty() ? List.of() : List.of(options.methods().split(","));
                return read("methods", methods, "email_hint", options.emailHint());
            }, Set.of("backup_codes_remaining")),
            SidecarClient.VERIFY_BACKUP_CODE_PATH, new Use(client -> {
                SidecarClient.Verdict verdict = client.verifyBackupCode(CALL, "7KQM-2XHR-9T");
                return read("result", name(verdict.result()), "backup_codes_remaining", verdict.remaining(),
                        "regenerate", verdict.regenerate(), "reenrol_otp", verdict.reenrolOtp(),
                        "retry_after_seconds", verdict.retryAfterSeconds());
            }, Set.of()),
            SidecarClient.SETUP_PATH, new Use(client -> {
                SidecarClient.SetupOffer offer = client.setup(CALL, MfaRecoverySetupAction.REASON_USER_REQUEST);
                return read("show", offer.show(), "skippable", offer.skippable(), "set_id", offer.setId(),
                        "codes", offer.codes(), "backup_email.enabled", offer.backupEmail().enabled(),
                        "backup_email.address_hint", offer.backupEmail().addressHint(),
                        "backup_email.verified", offer.backupEmail().verified());
            }, Set.of("prompt")),
            SidecarClient.CONFIRM_PATH, new Use(client -> read("result",
                    client.confirm(CALL, "iopaNWcjJiB00dcduQo7I89tzHZepLZx-cYqVRXPQF4") ? "activated" : "expired"),
                    Set.of("backup_codes_remaining")),
            SidecarClient.EMAIL_CODE_SEND_PATH, new Use(client -> mailing(client.sendEmailCode(CALL, PROFILE)),
                    Set.of("resend_after_seconds")),
            SidecarClient.EMAIL_CODE_VERIFY_PATH, new Use(client -> {
                CodeCheck<SignInCodeCheck> check = client.verifyEmailCode(CALL, PROFILE, "1234 5678");
                return read("result", name(check.result()), "attempts_left", check.attemptsLeft(),
                        "reenrol_otp", check.reenrolOtp(), "retry_after_seconds", check.retryAfterSeconds());
            }, Set.of("backup_codes_remaining")),
            SidecarClient.SUPERVISOR_PATH, new Use(client -> {
                SidecarClient.Supervisor supervisor = client.supervisor(CALL);
                return read("supervisor.name", supervisor.name(), "can_notify", supervisor.canNotify(),
                        "retry_after_seconds", supervisor.retryAfterSeconds());
            }, Set.of()),
            SidecarClient.SUPERVISOR_NOTIFY_PATH, new Use(client -> {
                SidecarClient.SupervisorNotice notice = client.notifySupervisor(CALL, PROFILE);
                return read("result", name(notice.result()), "supervisor.name", notice.supervisorName(),
                        "retry_after_seconds", notice.retryAfterSeconds());
            }, Set.of()),
            SidecarClient.BACKUP_EMAIL_START_PATH, new Use(client -> mailing(
                    client.startBackupEmail(CALL, PROFILE, "nina@example.net")), Set.of("resend_after_seconds")),
            SidecarClient.BACKUP_EMAIL_VERIFY_PATH, new Use(client -> {
                CodeCheck<AddressCodeCheck> check = client.verifyBackupEmail(CALL, PROFILE, "1234 5678");
                return read("result", name(check.result()), "attempts_left", check.attemptsLeft(),
                        "address_hint", check.addressHint());
            }, Set.of()));

    /** The enum each call reads the answer's {@code result} into. */
    private static final Map<String, Class<? extends Enum<?>>> RESULTS = Map.of(
            SidecarClient.VERIFY_BACKUP_CODE_PATH, SidecarClient.Verdict.Result.class,
            SidecarClient.EMAIL_CODE_SEND_PATH, SignInCodeMail.class,
            SidecarClient.EMAIL_CODE_VERIFY_PATH, SignInCodeCheck.class,
            SidecarClient.SUPERVISOR_NOTIFY_PATH, NoticeResult.class,
            SidecarClient.BACKUP_EMAIL_START_PATH, AddressCodeMail.class,
            SidecarClient.BACKUP_EMAIL_VERIFY_PATH, AddressCodeCheck.class);

    private static BridgeSpec spec;
    private FakeSidecar sidecar;

    @BeforeAll
    static void readTheDescription() throws IOException {
        spec = BridgeSpec.load();
    }

    @BeforeEach
    void startTheSidecar() throws IOException {
        sidecar = new FakeSidecar();
    }

    @AfterEach
    void stopTheSidecar() {
        sidecar.close();
    }

    @Test
    void theClientCallsExactlyThePathsTheDescriptionHas() throws IllegalAccessException {
        Set<String> constants = new TreeSet<>();
        for (Field field : SidecarClient.class.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getName().endsWith("_PATH")) {
                constants.add((String) field.get(null));
            }
        }
        assertEquals(new TreeSet<>(spec.postPaths()), constants);
        assertEquals(new TreeSet<>(spec.postPaths()), new TreeSet<>(USES.keySet()));
    }

    /** One test per example answer of the description: the call is as described, the answer read as it says. */
    @TestFactory
    Stream<DynamicTest> everyExampleAnswerIsReadAsItSays() {
        return spec.postPaths().stream().flatMap(path -> spec.examples(path).entrySet().stream()
                .map(example -> DynamicTest.dynamicTest(path + " answering '" + example.getKey() + "'",
                        () -> readExample(path, example.getValue()))));
    }

    @Test
    void everySetupReasonOfTheBridgeIsOneTheContractNames() throws SidecarUnavailableException {
        JsonNode example = spec.examples(SidecarClient.SETUP_PATH).values().iterator().next();
        sidecar.answer(call -> checked(call, example));
        for (String reason : List.of(MfaRecoverySetupAction.REASON_USER_REQUEST,
                MfaRecoverySetupAction.REASON_AFTER_OTP_ENROLMENT, MfaRecoverySetupAction.REASON_LOW_CODES,
                MfaRecoverySetupAction.REASON_REQUIRED_ACTION)) {
            try {
                sidecar.client().setup(CALL, reason);
            } finally {
                sidecar.assertNoProblems();
            }
        }
        assertEquals(4, sidecar.calls().size());
    }

    @Test
    void everyResultTheClientKnowsIsOneTheContractNames() {
        RESULTS.forEach((path, results) -> assertEquals(spec.results(path),
                Arrays.stream(results.getEnumConstants()).map(BridgeContractTest::name).collect(Collectors.toSet()),
                path));
    }

    @Test
    void longProfileValuesAreLeftOutRatherThanRefused() throws SidecarUnavailableException {
        JsonNode example = spec.examples(SidecarClient.EMAIL_CODE_SEND_PATH).values().iterator().next();
        sidecar.answer(call -> checked(call, example));
        String tooLong = "x".repeat(UserProfile.MAX_LENGTH + 1);
        sidecar.client().sendEmailCode(CALL, new UserProfile(tooLong, tooLong, tooLong, "x".repeat(33)));
        sidecar.assertNoProblems();
        assertEquals(0, sidecar.calls().get(0).body().path("profile").size());
    }

    private void readExample(String path, JsonNode example) throws SidecarUnavailableException {
        sidecar.answer(call -> checked(call, example));
        Use use = USES.get(path);
        Map<String, Object> read;
        try {
            read = use.reading().read(sidecar.client());
        } finally {
            sidecar.assertNoProblems();  // a refused call is answered 500: what was wrong with it comes first
        }
        assertEquals(path, sidecar.calls().get(sidecar.calls().size() - 1).path());

        Map<String, Object> described = flat("", example, new LinkedHashMap<>());
        for (String member : described.keySet()) {
            assertTrue(read.containsKey(member) || use.ignored().contains(member),
                    path + ": the client does not read '" + member + "'");
        }
        read.forEach((member, value) -> assertEquals(
                described.containsKey(member) ? described.get(member) : absent(value), value, path + " " + member));

        Set<String> inExamples = new TreeSet<>();
        spec.examples(path).values().forEach(each -> inExamples.addAll(flat("", each, new LinkedHashMap<>()).keySet()));
        List<String> neverShown = new ArrayList<>(read.keySet());
        neverShown.addAll(use.ignored());
        neverShown.removeAll(inExamples);
        assertEquals(List.of(), neverShown, path + ": members no example of the description has");
    }

    /** The example as the answer, once the call is found to be one the description allows. */
    private static FakeSidecar.Answer checked(FakeSidecar.Call call, JsonNode example) {
        List<String> problems = new ArrayList<>();
        if (!"POST".equals(call.method()) || !spec.postPaths().contains(call.path())) {
            problems.add("not a described call");
        } else {
            problems.addAll(spec.problems(call.body(), spec.requestSchema(call.path()), "body"));
        }
        if (call.contentType() == null || !call.contentType().startsWith("application/json")) {
            problems.add("Content-Type " + call.contentType());
        }
        if (call.claims() == null || !call.method().equals(call.claims().path("htm").asText())
                || !call.path().equals(call.claims().path("htu").asText())) {
            problems.add("the token is not for this call: " + call.claims());
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(call.method() + " " + call.path() + ": " + problems);
        }
        return FakeSidecar.Answer.signed(example);
    }

    /** The members of a JSON object with nested objects' members as "a.b"; null members are left out. */
    private static Map<String, Object> flat(String prefix, JsonNode node, Map<String, Object> into) {
        node.fields().forEachRemaining(member -> {
            String name = prefix + member.getKey();
            if (member.getValue().isObject()) {
                flat(name + ".", member.getValue(), into);
            } else if (!member.getValue().isNull()) {
                into.put(name, FakeSidecar.JSON.convertValue(member.getValue(), Object.class));
            }
        });
        return into;
    }

    /** What the client makes of a member the answer does not carry. */
    private static Object absent(Object read) {
        if (read instanceof Integer) {
            return 0;
        }
        if (read instanceof Boolean) {
            return false;
        }
        return read instanceof List ? List.of() : null;
    }

    private static Map<String, Object> mailing(CodeMailing<?> mailing) {
        return read("result", name(mailing.result()), "address_hint", mailing.addressHint(),
                "expires_in_seconds", mailing.expiresInSeconds(), "retry_after_seconds", mailing.retryAfterSeconds());
    }

    private static Map<String, Object> read(Object... membersAndValues) {
        Map<String, Object> read = new LinkedHashMap<>();
        for (int i = 0; i < membersAndValues.length; i += 2) {
            read.put((String) membersAndValues[i], membersAndValues[i + 1]);
        }
        return read;
    }

    private static String name(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT);
    }
}
