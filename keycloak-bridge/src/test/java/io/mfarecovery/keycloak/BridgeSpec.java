package io.mfarecovery.keycloak;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * The sidecar's OpenAPI description of the bridge API, read from the sidecar's source tree (the Maven basedir is
 * {@code keycloak-bridge/}), and a check of a JSON value against one of its schemas: the subset of OpenAPI 3.0
 * schemas the description uses ({@code $ref}, {@code type}, {@code nullable}, {@code properties}, {@code required},
 * {@code enum}, {@code maxLength}, {@code items}). Objects must not carry members their schema does not name.
 */
final class BridgeSpec {

    static final Path FILE = Path.of("..", "sidecar", "mfa_recovery", "web", "openapi", "bridge-v1.yaml");

    private final JsonNode root;

    private BridgeSpec(JsonNode root) {
        this.root = root;
    }

    static BridgeSpec load() throws IOException {
        return new BridgeSpec(new YAMLMapper().readTree(FILE.toFile()));
    }

    /** The paths described for POST. */
    Set<String> postPaths() {
        Set<String> paths = new LinkedHashSet<>();
        root.path("paths").fieldNames().forEachRemaining(path -> {
            if (root.path("paths").path(path).has("post")) {
                paths.add(path);
            }
        });
        return paths;
    }

    JsonNode requestSchema(String path) {
        return resolve(post(path).path("requestBody").path("content").path("application/json").path("schema"));
    }

    JsonNode answerSchema(String path) {
        return resolve(answer(path).path("schema"));
    }

    /** The named examples of the 200 answer. */
    Map<String, JsonNode> examples(String path) {
        Map<String, JsonNode> examples = new LinkedHashMap<>();
        answer(path).path("examples").fields()
                .forEachRemaining(example -> examples.put(example.getKey(), example.getValue().get("value")));
        return examples;
    }

    /** Every {@code result} the 200 answer may carry. */
    Set<String> results(String path) {
        JsonNode schema = answerSchema(path);
        List<JsonNode> variants = new ArrayList<>();
        schema.path("oneOf").forEach(variant -> variants.add(resolve(variant)));
        if (variants.isEmpty()) {
            variants.add(schema);
        }
        Set<String> results = new LinkedHashSet<>();
        variants.forEach(variant -> resolve(variant.path("properties").path("result")).path("enum")
                .forEach(value -> results.add(value.asText())));
        return results;
    }

    /** The description of the bearer token (its header and claims are prose there). */
    String tokenDescription() {
        return root.path("components").path("securitySchemes").path("bridgeToken").path("description").asText();
    }

    /** What is wrong with {@code value} for {@code schema}; empty when it fits. */
    List<String> problems(JsonNode value, JsonNode schema, String where) {
        List<String> problems = new ArrayList<>();
        check(value, resolve(schema), where, problems);
        return problems;
    }

    private void check(JsonNode value, JsonNode schema, String where, List<String> problems) {
        if (value == null || value.isNull()) {
            if (!schema.path("nullable").asBoolean(false)) {
                problems.add(where + " is null");
            }
            return;
        }
        String type = schema.path("type").asText();
        switch (type) {
            case "object" -> {
                if (!value.isObject()) {
                    problems.add(where + " is not an object");
                    return;
                }
                JsonNode properties = schema.path("properties");
                for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> member = it.next();
                    if (properties.has(member.getKey())) {
                        check(member.getValue(), resolve(properties.get(member.getKey())),
                                where + "." + member.getKey(), problems);
                    } else {
                        problems.add(where + "." + member.getKey() + " is not in the contract");
                    }
                }
                schema.path("required").forEach(name -> {
                    if (!value.has(name.asText())) {
                        problems.add(where + "." + name.asText() + " is missing");
                    }
                });
            }
            case "string" -> {
                if (!value.isTextual()) {
                    problems.add(where + " is not a string");
                    return;
                }
                String text = value.asText();
                int maxLength = schema.path("maxLength").asInt(Integer.MAX_VALUE);
                if (text.codePointCount(0, text.length()) > maxLength) {
                    problems.add(where + " is longer than " + maxLength);
                }
                if (schema.has("enum") && !contains(schema.get("enum"), text)) {
                    problems.add(where + " '" + text + "' is not one of " + schema.get("enum"));
                }
            }
            case "integer" -> {
                if (!value.isIntegralNumber()) {
                    problems.add(where + " is not an integer");
                }
            }
            case "boolean" -> {
                if (!value.isBoolean()) {
                    problems.add(where + " is not a boolean");
                }
            }
            case "array" -> {
                if (!value.isArray()) {
                    problems.add(where + " is not an array");
                    return;
                }
                for (int i = 0; i < value.size(); i++) {
                    check(value.get(i), resolve(schema.path("items")), where + "[" + i + "]", problems);
                }
            }
            default -> problems.add(where + ": the check does not know schema type '" + type + "'");
        }
    }

    /** The node a local {@code $ref} points at, followed to the end. */
    JsonNode resolve(JsonNode node) {
        JsonNode resolved = node;
        while (resolved.has("$ref")) {
            resolved = root.at(resolved.get("$ref").asText().substring(1));
        }
        return resolved;
    }

    private JsonNode post(String path) {
        return root.path("paths").path(path).path("post");
    }

    private JsonNode answer(String path) {
        return post(path).path("responses").path("200").path("content").path("application/json");
    }

    private static boolean contains(JsonNode values, String text) {
        for (JsonNode value : values) {
            if (value.asText().equals(text)) {
                return true;
            }
        }
        return false;
    }
}
