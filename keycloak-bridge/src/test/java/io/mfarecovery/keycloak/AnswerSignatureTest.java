package io.mfarecovery.keycloak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Base64;

import org.junit.jupiter.api.Test;

class AnswerSignatureTest {

    private static final byte[] BODY = "{\"result\":\"rejected\"}".getBytes(StandardCharsets.UTF_8);
    private final KeyPair sidecar = ed25519();

    @Test
    void acceptsTheSidecarsSignatureForThisCall() {
        assertTrue(AnswerSignature.verify(sidecar.getPublic(), "jti-1", BODY, sign(sidecar, "jti-1", BODY)));
    }

    @Test
    void refusesAnAnswerSignedForAnotherCall() {
        assertFalse(AnswerSignature.verify(sidecar.getPublic(), "jti-2", BODY, sign(sidecar, "jti-1", BODY)));
    }

    @Test
    void refusesAChangedAnswer() {
        byte[] accepted = "{\"result\":\"accepted\"}".getBytes(StandardCharsets.UTF_8);
        assertFalse(AnswerSignature.verify(sidecar.getPublic(), "jti-1", accepted, sign(sidecar, "jti-1", BODY)));
    }

    @Test
    void refusesAnotherKeyNoSignatureAndGarbage() {
        KeyPair impostor = ed25519();
        assertFalse(AnswerSignature.verify(sidecar.getPublic(), "jti-1", BODY, sign(impostor, "jti-1", BODY)));
        assertFalse(AnswerSignature.verify(sidecar.getPublic(), "jti-1", BODY, null));
        assertFalse(AnswerSignature.verify(sidecar.getPublic(), "jti-1", BODY, "not*base64url"));
        assertFalse(AnswerSignature.verify(null, "jti-1", BODY, sign(sidecar, "jti-1", BODY)));
    }

    @Test
    void readsThePublicKeyAsTheSidecarPrintsIt() throws GeneralSecurityException {
        String printed = Base64.getEncoder().encodeToString(sidecar.getPublic().getEncoded());
        assertEquals(sidecar.getPublic(), AnswerSignature.publicKey(printed + "\n"));
        assertThrows(GeneralSecurityException.class, () -> AnswerSignature.publicKey("%%%"));
        assertThrows(GeneralSecurityException.class, () -> AnswerSignature.publicKey("AAAA"));
    }

    /** What the sidecar does: Ed25519 over the context line, the jti, a newline and the body. */
    static String sign(KeyPair key, String jti, byte[] body) {
        try {
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(key.getPrivate());
            signer.update(("mfa-recovery-answer/v1\n" + jti + "\n").getBytes(StandardCharsets.US_ASCII));
            signer.update(body);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(signer.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static KeyPair ed25519() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
