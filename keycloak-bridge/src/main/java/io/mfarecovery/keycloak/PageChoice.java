package io.mfarecovery.keycloak;

import org.keycloak.events.Errors;

import io.mfarecovery.keycloak.SidecarClient.AddressCodeCheck;
import io.mfarecovery.keycloak.SidecarClient.AddressCodeMail;
import io.mfarecovery.keycloak.SidecarClient.CodeCheck;
import io.mfarecovery.keycloak.SidecarClient.CodeMailing;
import io.mfarecovery.keycloak.SidecarClient.RecoveryOptions;
import io.mfarecovery.keycloak.SidecarClient.SignInCodeCheck;
import io.mfarecovery.keycloak.SidecarClient.SignInCodeMail;
import io.mfarecovery.keycloak.SidecarClient.Supervisor;
import io.mfarecovery.keycloak.SidecarClient.SupervisorNotice;

/**
 * Which page, with which message, the recovery sign-in ({@link MfaRecoveryAuthenticator}) and the setup action
 * ({@link MfaRecoverySetupAction}) show for what the user chose and what the sidecar answered: the decisions that
 * need no Keycloak session.
 */
final class PageChoice {

    /** What the user may go on to from the choice page (the backup-code field is on the page itself). */
    enum Step { EMAIL, NEITHER, CHOICE }

    /** A refused code: the event error (Keycloak's brute-force detection counts it) and the field's message. */
    record Refusal(String eventError, PageMessage message) {
    }

    /** The email-code page: whether it says a code was sent, for how many minutes it is valid, its message. */
    record EmailCodePage(boolean sent, int validMinutes, PageMessage message) {
    }

    /** The "contact your supervisor" page ({@link RecoveryPages#neither}). */
    record NeitherPage(String supervisorName, boolean canNotify, boolean notified, PageMessage message) {
    }

    /** After asking for a code for a new backup address: the verify page, or back to the codes page. */
    record AddressCodePage(boolean verifyPage, PageMessage message) {
    }

    private PageChoice() {
    }

    /** Only what the choice page offered is honoured; anything else shows the choice again. */
    static Step chosen(String choice, RecoveryOptions options) {
        if (RecoveryOptions.EMAIL.equals(choice) && options.email()) {
            return Step.EMAIL;
        }
        return MfaRecoveryAuthenticator.CHOICE_NEITHER.equals(choice) ? Step.NEITHER : Step.CHOICE;
    }

    /** A backup code the sidecar did not accept ({@code REJECTED} or {@code LOCKED}). */
    static Refusal backupCodeRefused(SidecarClient.Verdict.Result result) {
        String field = MfaRecoveryAuthenticator.CODE_FIELD;
        return result == SidecarClient.Verdict.Result.LOCKED
                ? new Refusal(Errors.USER_TEMPORARILY_DISABLED,
                        PageMessage.fieldError(field, "mfaRecoveryTemporarilyLocked"))
                : new Refusal(Errors.INVALID_USER_CREDENTIALS, PageMessage.fieldError(field, "mfaRecoveryCodeInvalid"));
    }

    /** The longest code the bridge contract carries (the sidecar refuses a longer one as bad input). */
    static final int MAX_CODE_LENGTH = 64;

    /**
     * Whether what was typed can be a code at all: at most {@link #MAX_CODE_LENGTH} characters of text, no control
     * character and no lone surrogate. Anything else is a wrong code, refused without asking the sidecar (which
     * would answer the call as bad input, and the user would see "unavailable").
     */
    static boolean couldBeACode(String typed) {
        if (typed.length() > MAX_CODE_LENGTH) {
            return false;
        }
        for (int i = 0; i < typed.length(); i++) {
            char c = typed.charAt(i);
            if (Character.isISOControl(c) || Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /** A typed value that {@link #couldBeACode cannot be a code}, in the field it was typed in. */
    static Refusal notACode(String field) {
        String key = MfaRecoveryAuthenticator.EMAIL_CODE_FIELD.equals(field)
                ? "mfaRecoveryEmailCodeWrong" : "mfaRecoveryCodeInvalid";
        return new Refusal(Errors.INVALID_USER_CREDENTIALS, PageMessage.fieldError(field, key));
    }

    /**
     * The email-code page after asking for a sign-in code ({@code resend}: the user asked for another one); null
     * for {@code UNAVAILABLE}, when the method is off or the address is gone and the choice shows again without it.
     */
    static EmailCodePage afterMailing(CodeMailing<SignInCodeMail> mailing, boolean resend) {
        int defaultMinutes = RecoveryPages.DEFAULT_CODE_MINUTES;
        switch (mailing.result()) {
            case SENT:
                int minutes = mailing.expiresInSeconds() > 0
                        ? PageMessage.minutes(mailing.expiresInSeconds()) : defaultMinutes;
                return new EmailCodePage(true, minutes,
                        resend ? PageMessage.info("mfaRecoveryEmailCodeResent") : null);
            case COOLDOWN:  // the earlier code is still valid
                return new EmailCodePage(true, defaultMinutes,
                        PageMessage.info("mfaRecoveryEmailCooldown", mailing.retryAfterSeconds()));
            case CAPPED:
                return new EmailCodePage(false, defaultMinutes,
                        PageMessage.error("mfaRecoveryEmailCapped", PageMessage.minutes(mailing.retryAfterSeconds())));
            case MAIL_FAILED:
                return new EmailCodePage(false, defaultMinutes, PageMessage.error("mfaRecoveryEmailMailFailed"));
            default:
                return null;
        }
    }

    /** A sign-in code from the mail the sidecar did not accept. */
    static Refusal emailCodeRefused(CodeCheck<SignInCodeCheck> check) {
        String field = MfaRecoveryAuthenticator.EMAIL_CODE_FIELD;
        switch (check.result()) {
            case LOCKED:
                return new Refusal(Errors.USER_TEMPORARILY_DISABLED,
                        PageMessage.fieldError(field, "mfaRecoveryTemporarilyLocked"));
            case EXPIRED:
                return new Refusal(Errors.INVALID_USER_CREDENTIALS,
                        PageMessage.fieldError(field, "mfaRecoveryEmailCodeExpired"));
            default:
                return new Refusal(Errors.INVALID_USER_CREDENTIALS, codeRejected(field, check.attemptsLeft()));
        }
    }

    /** A wrong code from a mail: how many tries it has left, or that it is dead. */
    static PageMessage codeRejected(String field, int attemptsLeft) {
        return attemptsLeft > 0
                ? PageMessage.fieldError(field, "mfaRecoveryEmailCodeInvalid", attemptsLeft)
                : PageMessage.fieldError(field, "mfaRecoveryEmailCodeUsedUp");
    }

    /** "I have neither", as the sidecar's {@code supervisor} answer has it. */
    static NeitherPage neither(Supervisor supervisor) {
        boolean notifiedRecently = supervisor.name() != null && !supervisor.canNotify()
                && supervisor.retryAfterSeconds() > 0;
        return new NeitherPage(supervisor.name(), supervisor.canNotify(), false,
                notifiedRecently ? supervisorRateLimited(supervisor.retryAfterSeconds()) : null);
    }

    /** After asking the sidecar to notify the supervisor; {@code knownName}: the name shown before. */
    static NeitherPage afterNotice(SupervisorNotice notice, String knownName) {
        switch (notice.result()) {
            case QUEUED:
                String name = notice.supervisorName() != null ? notice.supervisorName() : knownName;
                return new NeitherPage(name, false, true, null);
            case RATE_LIMITED:
                return new NeitherPage(knownName, false, false, supervisorRateLimited(notice.retryAfterSeconds()));
            default:  // NO_SUPERVISOR
                return new NeitherPage(null, false, false, null);
        }
    }

    private static PageMessage supervisorRateLimited(int retryAfterSeconds) {
        return PageMessage.info("mfaRecoverySupervisorRateLimited", PageMessage.minutes(retryAfterSeconds));
    }

    /** After asking for a code for a new backup address; a resend keeps the user on the verify page. */
    static AddressCodePage afterAddressMailing(CodeMailing<AddressCodeMail> mailing, boolean resend) {
        if (mailing.result() == AddressCodeMail.SENT) {
            return new AddressCodePage(true, resend ? PageMessage.info("mfaRecoveryEmailCodeResent") : null);
        }
        if (resend && mailing.result() == AddressCodeMail.COOLDOWN) {
            return new AddressCodePage(true, PageMessage.info("mfaRecoveryEmailCooldown", mailing.retryAfterSeconds()));
        }
        return resend ? new AddressCodePage(true, addressNotSent(null, mailing))
                : new AddressCodePage(false, addressNotSent(MfaRecoverySetupAction.EMAIL_FIELD, mailing));
    }

    /** Why no code was mailed to a new backup address, on {@code field} (null: the page's alert). */
    static PageMessage addressNotSent(String field, CodeMailing<AddressCodeMail> mailing) {
        switch (mailing.result()) {
            case INVALID_ADDRESS:
                return PageMessage.fieldError(field, "mfaRecoverySetupEmailInvalid");
            case SAME_AS_PRIMARY:
                return PageMessage.fieldError(field, "mfaRecoverySetupEmailSameAsPrimary");
            case COOLDOWN:
                return PageMessage.fieldError(field, "mfaRecoverySetupEmailCooldown", mailing.retryAfterSeconds());
            case CAPPED:
                return PageMessage.fieldError(field, "mfaRecoverySetupEmailCapped",
                        PageMessage.minutes(mailing.retryAfterSeconds()));
            case DISABLED:
                return PageMessage.fieldError(field, "mfaRecoverySetupEmailDisabled");
            default:
                return PageMessage.fieldError(field, "mfaRecoverySetupEmailMailFailed");
        }
    }

    /** A code for a new backup address that did not verify it ({@code EXPIRED} or {@code REJECTED}). */
    static PageMessage addressCodeRefused(CodeCheck<AddressCodeCheck> check) {
        String field = MfaRecoverySetupAction.EMAIL_CODE_FIELD;
        return check.result() == AddressCodeCheck.EXPIRED
                ? PageMessage.fieldError(field, "mfaRecoveryEmailCodeExpired")
                : codeRejected(field, check.attemptsLeft());
    }
}
