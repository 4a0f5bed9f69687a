package io.mfarecovery.keycloak;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.keycloak.models.UserModel;
import org.keycloak.models.credential.OTPCredentialModel;
import org.keycloak.sessions.AuthenticationSessionModel;

/**
 * Replacing a lost authenticator app after a recovery sign-in. The lost OTP credentials are removed only once a new
 * one is registered in the same sign-in, never before: a sign-in abandoned on the enrolment page leaves the account
 * as it was (minus the spent code), so the next person with only the password cannot enrol an app of their own.
 *
 * <p>{@link #begin} notes the ids of the user's OTP credentials in the authentication session and asks for
 * {@code CONFIGURE_TOTP} in that session only (nothing is stored on the user). Keycloak evaluates the triggers of
 * the enabled required actions after each one; the setup action calls {@link #completeIfEnrolled} there, which
 * removes the noted credentials once the user holds an OTP credential that is not among them.
 */
final class OtpReplacement {

    static final String REPLACED_NOTE = "mfa-recovery.replace-otp";

    private OtpReplacement() {
    }

    static void begin(AuthenticationSessionModel authSession, UserModel user) {
        authSession.setAuthNote(REPLACED_NOTE, String.join(",", otpCredentialIds(user)));
        authSession.addRequiredAction(UserModel.RequiredAction.CONFIGURE_TOTP);
    }

    /** True when a new authenticator app was registered since {@link #begin} and the lost ones are now removed. */
    static boolean completeIfEnrolled(AuthenticationSessionModel authSession, UserModel user) {
        String noted = authSession.getAuthNote(REPLACED_NOTE);
        if (noted == null) {
            return false;
        }
        Set<String> lost = Arrays.stream(noted.split(",")).filter(id -> !id.isEmpty()).collect(Collectors.toSet());
        if (lost.containsAll(otpCredentialIds(user))) {
            return false;
        }
        lost.forEach(id -> user.credentialManager().removeStoredCredentialById(id));
        authSession.removeAuthNote(REPLACED_NOTE);
        return true;
    }

    private static List<String> otpCredentialIds(UserModel user) {
        return user.credentialManager().getStoredCredentialsByTypeStream(OTPCredentialModel.TYPE)
                .map(credential -> credential.getId()).toList();
    }
}
