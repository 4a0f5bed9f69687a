package io.mfarecovery.keycloak;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The sidecar's bridge port in a test: an HTTP server on loopback that records every call and answers it as the
 * test says, signed with an answer key of its own as the sidecar signs (or not, or wrongly, when a test asks).
 * What the answering function throws is kept for {@link #assertNoProblems} and answered with 500.
 */
final class FakeSidecar implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    /** Stands in for the realm's key: the token is readable but carries no signature. */
    static final BridgeToken.Signer UNSIGNED = claims -> base64Url("{\"alg\":\"none\",\"typ\":\"" + BridgeToken.TYPE
            + "\"}") + "." + base64Url(json(claims)) + ".unsigned";

    static final BridgeCall CALL = new BridgeCall("acme", "user-1", "root.tab", "192.0.2.1", "Firefox/140", UNSIGNED);

    /** One call as the server received it; {@code claims} are those of the bearer token. */
    record Call(String method, String path, String contentType, JsonNode claims, JsonNode body, String requestId) {
    }

    enum Signing { RIGHT, NONE, OTHER_KEY, OTHER_CALL }

    record Answer(int status, byte[] body, Signing signing) {

        static Answer signed(String json) {
            return new Answer(200, json.getBytes(StandardCharsets.UTF_8), Signing.RIGHT);
        }

        static Answer signed(JsonNode json) {
            return signed(json.toString());
        }
    }

    private final HttpServer server;
    private final KeyPair answerKey = AnswerSignatureTest.ed25519();
    private final KeyPair otherKey = AnswerSignatureTest.ed25519();
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final List<Throwable> problems = new CopyOnWriteArrayList<>();
    private volatile Function<Call, Answer> answers = call -> Answer.signed("{}");
    private boolean closed;

    FakeSidecar() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    /** A client of this server that trusts its answer key. */
    SidecarClient client() {
        return new SidecarClient(settings(answerKey.getPublic(), null));
    }

    SidecarSettings settings(PublicKey key, String problem) {
        URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        return new SidecarSettings(url, key, Duration.ofSeconds(2), Duration.ofSeconds(5), problem);
    }

    void answer(Function<Call, Answer> answers) {
        this.answers = answers;
    }

    void answer(Answer answer) {
        answer(call -> answer);
    }

    List<Call> calls() {
        return calls;
    }

    /** Fails with what the answering function threw, if anything. */
    void assertNoProblems() {
        if (!problems.isEmpty()) {
            Throwable first = problems.get(0);
            AssertionError error = new AssertionError("the fake sidecar found problems: " + first.getMessage(), first);
            problems.stream().skip(1).forEach(error::addSuppressed);
            problems.clear();
            throw error;
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            server.stop(0);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            byte[] requestBody;
            try (InputStream in = exchange.getRequestBody()) {
                requestBody = in.readAllBytes();
            }
            Call call = new Call(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("Content-Type"),
                    claims(exchange.getRequestHeaders().getFirst("Authorization")), readOrNull(requestBody),
                    exchange.getRequestHeaders().getFirst(SidecarClient.REQUEST_ID_HEADER));
            calls.add(call);
            Answer answer;
            try {
                answer = answers.apply(call);
            } catch (RuntimeException | AssertionError e) {
                problems.add(e);
                answer = new Answer(500, "{\"error\":\"internal_error\"}".getBytes(StandardCharsets.UTF_8),
                        Signing.NONE);
            }
            String jti = call.claims() == null ? "" : call.claims().path("jti").asText();
            switch (answer.signing()) {
                case RIGHT -> sign(exchange, answerKey, jti, answer.body());
                case OTHER_KEY -> sign(exchange, otherKey, jti, answer.body());
                case OTHER_CALL -> sign(exchange, answerKey, jti + "-other", answer.body());
                case NONE -> { }
            }
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(answer.status(), answer.body().length == 0 ? -1 : answer.body().length);
            exchange.getResponseBody().write(answer.body());
        } finally {
            exchange.close();
        }
    }

    private static void sign(HttpExchange exchange, KeyPair key, String jti, byte[] body) {
        exchange.getResponseHeaders().set(AnswerSignature.HEADER, AnswerSignatureTest.sign(key, jti, body));
    }

    /** The claims of {@code Bearer <header>.<claims>.<signature>}, or null. */
    private static JsonNode claims(String authorization) {
        if (authorization == null || !authorization.startsWith("Bearer ")) {
            return null;
        }
        String[] parts = authorization.substring("Bearer ".length()).split("\\.");
        return parts.length == 3 ? readOrNull(Base64.getUrlDecoder().decode(parts[1])) : null;
    }

    private static JsonNode readOrNull(byte[] json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            return null;
        }
    }

    private static String base64Url(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    static String json(Map<String, ?> value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
