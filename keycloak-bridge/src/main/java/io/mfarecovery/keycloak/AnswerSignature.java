package io.mfarecovery.keycloak;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * The sidecar signs each answer with an Ed25519 key of its own, over the request's token id and the answer's
 * bytes; the bridge accepts only answers that carry a valid signature for the call it made. Whoever answers at
 * the sidecar's URL without that key (a spoofed name, a squatted port) or replays an answer to another call is
 * treated as an unavailable sidecar.
 */
final class AnswerSignature {

    static final String HEADER = "MFA-Recovery-Signature";
    static final String ALGORITHM = "Ed25519";
    private static final byte[] CONTEXT = "mfa-recovery-answer/v1\n".getBytes(StandardCharsets.US_ASCII);

    private AnswerSignature() {
    }

    /** The sidecar's public key from the SPI option: base64 of its DER SubjectPublicKeyInfo. */
    static PublicKey publicKey(String base64) throws GeneralSecurityException {
        try {
            byte[] der = Base64.getDecoder().decode(base64.strip());
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
        } catch (IllegalArgumentException e) {
            throw new GeneralSecurityException("not base64", e);
        }
    }

    /** Whether {@code signature} (base64url, as the header carries it) signs {@code body} as the answer to jti. */
    static boolean verify(PublicKey key, String jti, byte[] body, String signature) {
        if (key == null || signature == null) {
            return false;
        }
        try {
            Signature verifier = Signature.getInstance(ALGORITHM);
            verifier.initVerify(key);
            verifier.update(CONTEXT);
            verifier.update(jti.getBytes(StandardCharsets.US_ASCII));
            verifier.update((byte) '\n');
            verifier.update(body);
            return verifier.verify(Base64.getUrlDecoder().decode(signature.strip()));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }
}
