package io.mfarecovery.keycloak;

import static io.mfarecovery.keycloak.FakeSidecar.CALL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import io.mfarecovery.keycloak.FakeSidecar.Answer;
import io.mfarecovery.keycloak.FakeSidecar.Signing;
import io.mfarecovery.keycloak.SidecarClient.RecoveryOptions;

/** How the client turns answers into results, and every answer it must not trust into "unavailable". */
class SidecarClientTest {

    private static final UserProfile PROFILE = new UserProfile("jdoe", "Jan", "jan@acme.example", "nl");
    private static final String REJECTED = "{\"result\":\"rejected\"}";

    private FakeSidecar sidecar;
    private SidecarClient client;

    @BeforeEach
    void startTheSidecar() throws IOException {
        sidecar = new FakeSidecar();
        client = sidecar.client();
    }

    @AfterEach
    void stopTheSidecar() {
        sidecar.close();
    }

    // -- answers that are not the sidecar's, for this call -------------------------------------------------------

    @Test
    void anErrorStatusIsUnavailable() {
        sidecar.answer(new Answer(401, "{\"error\":\"invalid_token\"}".getBytes(StandardCharsets.UTF_8),
                Signing.RIGHT));
        SidecarUnavailableException e = unavailable(() -> client.verifyBackupCode(CALL, "code"));
        assertTrue(e.getMessage().contains("401"), e.getMessage());
    }

    @Test
    void anUnsignedAnswerIsUnavailable() {
        sidecar.answer(new Answer(200, bytes(REJECTED), Signing.NONE));
        unavailable(() -> client.verifyBackupCode(CALL, "code"));
    }

    @Test
    void anAnswerSignedWithAnotherKeyIsUnavailable() {
        sidecar.answer(new Answer(200, bytes(REJECTED), Signing.OTHER_KEY));
        unavailable(() -> client.verifyBackupCode(CALL, "code"));
    }

    @Test
    void anAnswerSignedForAnotherCallIsUnavailable() {
        sidecar.answer(new Answer(200, bytes(REJECTED), Signing.OTHER_CALL));
        unavailable(() -> client.verifyBackupCode(CALL, "code"));
    }

    @Test
    void aSignedAnswerThatIsNotJsonIsUnavailable() {
        sidecar.answer(new Answer(200, bytes("<html>rejected</html>"), Signing.RIGHT));
        unavailable(() -> client.verifyBackupCode(CALL, "code"));
    }

    @Test
    void anUnreachableSidecarIsUnavailable() {
        sidecar.close();
        unavailable(() -> client.start(CALL));
    }

    @Test
    void unusableSettingsCallNothing() {
        SidecarClient misconfigured = new SidecarClient(sidecar.settings(null, "no answer-public-key is configured"));
        SidecarUnavailableException e = unavailable(() -> misconfigured.start(CALL));
        assertEquals("no answer-public-key is configured", e.getMessage());
        assertEquals(List.of(), sidecar.calls());
    }

    // -- answers that do not say what the call needs --------------------------------------------------------------

    @Test
    void unknownResultsAreUnavailable() {
        sidecar.answer(Answer.signed("{\"result\":\"maybe\"}"));
        unavailable(() -> client.verifyBackupCode(CALL, "code"));
        unavailable(() -> client.confirm(CALL, "set"));
        unavailable(() -> client.sendEmailCode(CALL, PROFILE));
        unavailable(() -> client.verifyEmailCode(CALL, PROFILE, "code"));
        unavailable(() -> client.notifySupervisor(CALL, PROFILE));
        unavailable(() -> client.startBackupEmail(CALL, PROFILE, "nina@example.net"));
        unavailable(() -> client.verifyBackupEmail(CALL, PROFILE, "code"));
        sidecar.answer(Answer.signed("{}"));
        unavailable(() -> client.verifyBackupCode(CALL, "code"));
        sidecar.answer(Answer.signed("{\"result\":\"ACCEPTED\"}"));
        unavailable(() -> client.verifyBackupCode(CALL, "code"));
    }

    @Test
    void aStartWithoutAListOfMethodsIsUnavailable() {
        sidecar.answer(Answer.signed("{\"backup_codes_remaining\":3}"));
        unavailable(() -> client.start(CALL));
        sidecar.answer(Answer.signed("{\"methods\":\"backup_code\"}"));
        unavailable(() -> client.start(CALL));
    }

    @Test
    void aSetupToShowWithoutCodesOrSetIsUnavailable() {
        sidecar.answer(Answer.signed("{\"show\":true,\"set_id\":\"s\",\"codes\":[]}"));
        unavailable(() -> client.setup(CALL, MfaRecoverySetupAction.REASON_LOW_CODES));
        sidecar.answer(Answer.signed("{\"show\":true,\"set_id\":\"\",\"codes\":[\"7KQM-2XHR-9T\"]}"));
        unavailable(() -> client.setup(CALL, MfaRecoverySetupAction.REASON_LOW_CODES));
        sidecar.answer(Answer.signed("{\"codes\":[\"7KQM-2XHR-9T\"]}"));  // "show" left out: codes mean show
        unavailable(() -> client.setup(CALL, MfaRecoverySetupAction.REASON_LOW_CODES));
    }

    @Test
    void aSupervisorAnswerWithoutTheSupervisorIsUnavailable() {
        sidecar.answer(Answer.signed("{\"can_notify\":true}"));
        unavailable(() -> client.supervisor(CALL));
    }

    // -- what the client reads --------------------------------------------------------------------------------

    @Test
    void methodsTheBridgeDoesNotKnowAreIgnored() throws SidecarUnavailableException {
        sidecar.answer(Answer.signed("{\"methods\":[\"carrier_pigeon\",\"email\"],\"email_hint\":\"\"}"));
        RecoveryOptions options = client.start(CALL);
        assertEquals(new RecoveryOptions(false, true, null), options);  // an empty hint is none
        assertEquals("email", options.methods());
        assertTrue(options.any());
        assertEquals(new RecoveryOptions(false, false, null), options.withoutEmail());
        assertFalse(options.withoutEmail().any());
        assertEquals(new RecoveryOptions(true, true, "j"), RecoveryOptions.of(List.of("backup_code", "email"), "j"));
    }

    @Test
    void aSupervisorWithoutANameCannotBeNotified() throws SidecarUnavailableException {
        sidecar.answer(Answer.signed("{\"supervisor\":null,\"can_notify\":true}"));
        SidecarClient.Supervisor supervisor = client.supervisor(CALL);
        assertNull(supervisor.name());
        assertFalse(supervisor.canNotify());
    }

    @Test
    void aSetupThatDoesNotShowNeedsNoCodes() throws SidecarUnavailableException {
        sidecar.answer(Answer.signed("{\"show\":false,\"set_id\":\"\",\"codes\":[]}"));
        SidecarClient.SetupOffer offer = client.setup(CALL, MfaRecoverySetupAction.REASON_AFTER_OTP_ENROLMENT);
        assertFalse(offer.show());
        assertEquals(new SidecarClient.BackupEmail(false, null, false), offer.backupEmail());
    }

    // -- what the client sends ------------------------------------------------------------------------------------

    @Test
    void theBodyCarriesTheCallsClientDetailsAndTheTokenIsForThisCall() throws SidecarUnavailableException {
        sidecar.answer(Answer.signed(REJECTED));
        client.verifyEmailCode(CALL, PROFILE, "1234 5678");
        FakeSidecar.Call call = sidecar.calls().get(0);
        assertEquals(Map.of("code", "1234 5678", "ip", "192.0.2.1", "user_agent", "Firefox/140",
                "profile", Map.of("username", "jdoe", "first_name", "Jan", "email", "jan@acme.example",
                        "locale", "nl")), FakeSidecar.JSON.convertValue(call.body(), Map.class));
        JsonNode claims = call.claims();
        assertEquals("POST", claims.path("htm").asText());
        assertEquals(SidecarClient.EMAIL_CODE_VERIFY_PATH, claims.path("htu").asText());
        assertEquals("user-1", claims.path("sub").asText());
        assertEquals("application/json", call.contentType());
    }

    @Test
    void unknownClientDetailsAndEmptyProfileValuesAreLeftOut() throws SidecarUnavailableException {
        sidecar.answer(Answer.signed(REJECTED));
        BridgeCall anonymous = new BridgeCall("acme", "user-1", "root.tab", null, "", FakeSidecar.UNSIGNED);
        client.verifyEmailCode(anonymous, new UserProfile("jdoe", "", null, null), "1234 5678");
        assertEquals(Map.of("code", "1234 5678", "profile", Map.of("username", "jdoe")),
                FakeSidecar.JSON.convertValue(sidecar.calls().get(0).body(), Map.class));
    }

    @Test
    void everyCallSendsARandomRequestIdThatTheFailureNames() throws SidecarUnavailableException {
        sidecar.answer(Answer.signed(REJECTED));
        client.verifyBackupCode(CALL, "code");
        client.verifyBackupCode(CALL, "code");
        sidecar.answer(new Answer(503, bytes("{\"error\":\"unavailable\"}"), Signing.NONE));
        SidecarUnavailableException e = unavailable(() -> client.verifyBackupCode(CALL, "code"));
        List<String> ids = sidecar.calls().stream().map(FakeSidecar.Call::requestId).toList();
        assertEquals(3, ids.size());
        for (String id : ids) {
            assertEquals(id, UUID.fromString(id).toString(), "a UUID: " + id);
            assertFalse(id.contains("root") || id.contains("user-1"), "nothing of the session or user: " + id);
        }
        assertEquals(3, Set.copyOf(ids).size(), "a new one per call: " + ids);
        assertTrue(e.getMessage().contains("(request " + ids.get(2) + ")"), e.getMessage());
        String jti = sidecar.calls().get(0).claims().path("jti").asText();
        assertFalse(ids.contains(jti), "not the token's id");
    }

    private static SidecarUnavailableException unavailable(Executable call) {
        return assertThrows(SidecarUnavailableException.class, call);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
