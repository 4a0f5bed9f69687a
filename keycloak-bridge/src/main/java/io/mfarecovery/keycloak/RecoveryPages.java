package io.mfarecovery.keycloak;

import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.forms.login.LoginFormsProvider;

/**
 * The theme pages of the recovery sign-in, with the attributes each template reads. Every attribute a template
 * uses is either always set here or guarded with {@code ??} in the template.
 */
final class RecoveryPages {

    static final String CHOICE_PAGE = "mfa-recovery-choice.ftl";
    static final String EMAIL_CODE_PAGE = "mfa-recovery-email-code.ftl";
    static final String FEW_CODES_LEFT_PAGE = "mfa-recovery-few-codes-left.ftl";
    static final String NO_METHOD_PAGE = "mfa-recovery-no-method.ftl";
    static final String UNAVAILABLE_PAGE = "mfa-recovery-unavailable.ftl";

    /** How long a mailed code is valid when the answer does not say (docs/architecture.md: 10 minutes). */
    static final int DEFAULT_CODE_MINUTES = 10;

    private static final Logger LOG = Logger.getLogger(MfaRecoveryAuthenticator.class);

    private final AuthenticationFlowContext context;
    private final boolean otherOptions;

    /** {@code otherOptions}: the choice page has more to offer than "I have neither" (the user has methods). */
    RecoveryPages(AuthenticationFlowContext context, boolean otherOptions) {
        this.context = context;
        this.otherOptions = otherOptions;
    }

    /**
     * The backup-code field with its button (when the user has codes), then "Send a code to j•••@example.org" (when
     * they have a verified backup address) and "I have neither". A refused code comes back here, on the field.
     */
    Response choice(SidecarClient.RecoveryOptions options, PageMessage message) {
        return form(message)
                .setAttribute("backupCodeOffered", options.backupCode())
                .setAttribute("emailOffered", options.email())
                .setAttribute("emailHint", options.emailHint())
                .createForm(CHOICE_PAGE);
    }

    /**
     * The field for the code from the mail. {@code sent}: a code is on its way or was sent earlier (the page says
     * so and for how long it is valid); false when sending failed.
     */
    Response emailCode(String emailHint, boolean sent, int validMinutes, PageMessage message) {
        return form(message)
                .setAttribute("emailHint", emailHint)
                .setAttribute("emailCodeSent", sent)
                .setAttribute("emailCodeMinutes", validMinutes)
                .createForm(EMAIL_CODE_PAGE);
    }

    /** The email-code page again, after a typed code or a resend that found the earlier code still valid. */
    Response emailCodeAgain(String emailHint, PageMessage message) {
        return emailCode(emailHint, true, DEFAULT_CODE_MINUTES, message);
    }

    /**
     * "Contact your supervisor". {@code supervisorName} null: none known. {@code notified}: the sidecar has just
     * queued the notice to the supervisor.
     */
    Response neither(String supervisorName, boolean canNotify, boolean notified, PageMessage message) {
        return form(message)
                .setAttribute("supervisorName", supervisorName)
                .setAttribute("canNotifySupervisor", canNotify && supervisorName != null)
                .setAttribute("supervisorNotified", notified)
                .createForm(NO_METHOD_PAGE);
    }

    /**
     * After an accepted backup code that left the user at or below the realm's warning threshold: how many are left,
     * that a new set comes next, and whether a new authenticator app comes first.
     */
    Response fewCodesLeft(int backupCodesRemaining, boolean reenrolOtp) {
        return context.form()
                .setAttribute("backupCodesRemaining", backupCodesRemaining)
                .setAttribute("reenrolOtp", reenrolOtp)
                .createForm(FEW_CODES_LEFT_PAGE);
    }

    Response unavailable(SidecarUnavailableException cause) {
        return unavailable(context.form(), context.getRealm().getName(), cause);
    }

    /** The sidecar could not give a usable answer; the authenticator app keeps working. */
    static Response unavailable(LoginFormsProvider form, String realm, SidecarUnavailableException cause) {
        LOG.warnf("MFA recovery unavailable for realm %s: %s", realm, cause.getMessage());
        return form.createForm(UNAVAILABLE_PAGE);
    }

    private LoginFormsProvider form(PageMessage message) {
        return PageMessage.apply(message, context.form().setAttribute("otherOptions", otherOptions));
    }
}
