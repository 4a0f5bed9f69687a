package io.mfarecovery.keycloak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The one release artefact: the provider JAR carries the login theme, and its version is the sidecar's. */
class ProviderJarTest {

    private static String resource(String name) throws IOException {
        try (InputStream in = ProviderJarTest.class.getResourceAsStream(name)) {
            assertNotNull(in, name + " is not in the provider JAR");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void theJarNamesAndCarriesTheLoginTheme() throws IOException {
        JsonNode themes = new ObjectMapper().readTree(resource("/META-INF/keycloak-themes.json")).get("themes");
        assertEquals("mfa-recovery", themes.get(0).get("name").asText());
        assertEquals("login", themes.get(0).get("types").get(0).asText());
        assertTrue(resource("/theme/mfa-recovery/login/theme.properties").contains("parent=keycloak.v2"));
        assertTrue(resource("/theme/mfa-recovery/login/messages/messages_nl.properties").contains("mfaRecovery"));
        assertTrue(resource("/theme/mfa-recovery/login/login-otp.ftl").contains("mfa-recovery-link"));
    }

    @Test
    void theJarIsVersionedWithTheSidecar() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        String pyproject = Files.readString(Path.of("../sidecar/pyproject.toml"));
        String sidecarVersion = first("(?m)^version = \"([^\"]+)\"", pyproject);
        String jarVersion = first("<artifactId>keycloak-bridge</artifactId>\\s*<version>([^<]+)</version>", pom);
        assertEquals(sidecarVersion, jarVersion, "pom.xml and sidecar/pyproject.toml name one version");
    }

    private static String first(String regex, String text) {
        Matcher found = Pattern.compile(regex).matcher(text);
        assertTrue(found.find(), regex);
        return found.group(1);
    }
}
