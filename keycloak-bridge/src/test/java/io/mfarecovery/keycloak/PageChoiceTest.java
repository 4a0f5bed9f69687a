package io.mfarecovery.keycloak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.keycloak.events.Errors;
import org.keycloak.forms.login.MessageType;

import io.mfarecovery.keycloak.PageChoice.AddressCodePage;
import io.mfarecovery.keycloak.PageChoice.EmailCodePage;
import io.mfarecovery.keycloak.PageChoice.NeitherPage;
import io.mfarecovery.keycloak.PageChoice.Refusal;
import io.mfarecovery.keycloak.PageChoice.Step;
import io.mfarecovery.keycloak.SidecarClient.AddressCodeCheck;
import io.mfarecovery.keycloak.SidecarClient.AddressCodeMail;
import io.mfarecovery.keycloak.SidecarClient.CodeCheck;
import io.mfarecovery.keycloak.SidecarClient.CodeMailing;
import io.mfarecovery.keycloak.SidecarClient.NoticeResult;
import io.mfarecovery.keycloak.SidecarClient.RecoveryOptions;
import io.mfarecovery.keycloak.SidecarClient.SignInCodeCheck;
import io.mfarecovery.keycloak.SidecarClient.SignInCodeMail;
import io.mfarecovery.keycloak.SidecarClient.Supervisor;
import io.mfarecovery.keycloak.SidecarClient.SupervisorNotice;
import io.mfarecovery.keycloak.SidecarClient.Verdict;

class PageChoiceTest {

    private static final String CODE = MfaRecoveryAuthenticator.CODE_FIELD;
    private static final String EMAIL_CODE = MfaRecoveryAuthenticator.EMAIL_CODE_FIELD;
    private static final String ADDRESS = MfaRecoverySetupAction.EMAIL_FIELD;
    private static final String CAROL = "Carol de Vries";

    // -- what can be a code -----------------------------------------------------------------------------------------

    @Test
    void aCodeOfTheContractsLengthInPlainTextIsAskedAbout() {
        assertTrue(PageChoice.couldBeACode("7KQM-2XHR-9T"));
        assertTrue(PageChoice.couldBeACode("1234 5678"));
        assertTrue(PageChoice.couldBeACode("x".repeat(PageChoice.MAX_CODE_LENGTH)));
    }

    @Test
    void whatCannotBeACodeIsAWrongCodeWithoutAskingTheSidecar() {
        assertFalse(PageChoice.couldBeACode("x".repeat(PageChoice.MAX_CODE_LENGTH + 1)));
        assertFalse(PageChoice.couldBeACode("1234\u00005678"));
        assertFalse(PageChoice.couldBeACode("1234\n5678"));
        assertFalse(PageChoice.couldBeACode("\ud800"));
        Refusal backup = PageChoice.notACode(CODE);
        assertEquals(Errors.INVALID_USER_CREDENTIALS, backup.eventError());  // Keycloak's brute-force detection counts it
        assertEquals(List.of(CODE, "mfaRecoveryCodeInvalid"), List.of(backup.message().field(), backup.message().key()));
        Refusal mailed = PageChoice.notACode(EMAIL_CODE);
        assertEquals(Errors.INVALID_USER_CREDENTIALS, mailed.eventError());
        assertEquals(List.of(EMAIL_CODE, "mfaRecoveryEmailCodeWrong"),
                List.of(mailed.message().field(), mailed.message().key()));
    }

    // -- the choice -----------------------------------------------------------------------------------------------

    @Test
    void onlyWhatTheChoicePageOfferedIsHonoured() {
        RecoveryOptions both = new RecoveryOptions(true, true, "j•••@example.org");
        RecoveryOptions none = new RecoveryOptions(false, false, null);
        assertEquals(Step.CHOICE, PageChoice.chosen("backup_code", both));  // its field is on the choice page
        assertEquals(Step.EMAIL, PageChoice.chosen("email", both));
        assertEquals(Step.CHOICE, PageChoice.chosen("backup_code", none));
        assertEquals(Step.CHOICE, PageChoice.chosen("email", none));
        assertEquals(Step.NEITHER, PageChoice.chosen("neither", none));
        assertEquals(Step.NEITHER, PageChoice.chosen("neither", both));
        assertEquals(Step.CHOICE, PageChoice.chosen("BACKUP_CODE", both));
        assertEquals(Step.CHOICE, PageChoice.chosen(null, both));
    }

    // -- backup code ----------------------------------------------------------------------------------------------

    @Test
    void aRefusedBackupCodeIsAFailureOnTheField() {
        Refusal locked = PageChoice.backupCodeRefused(Verdict.Result.LOCKED);
        assertEquals(Errors.USER_TEMPORARILY_DISABLED, locked.eventError());
        assertMessage(MessageType.ERROR, CODE, "mfaRecoveryTemporarilyLocked", locked.message());
        Refusal rejected = PageChoice.backupCodeRefused(Verdict.Result.REJECTED);
        assertEquals(Errors.INVALID_USER_CREDENTIALS, rejected.eventError());
        assertMessage(MessageType.ERROR, CODE, "mfaRecoveryCodeInvalid", rejected.message());
    }

    // -- code by email ------------------------------------------------------------------------------------------

    @Test
    void aSentCodeSaysForHowManyMinutesItIsValid() {
        assertEmailPage(true, 10, null, PageChoice.afterMailing(mailing(SignInCodeMail.SENT, 600, 0), false));
        assertEmailPage(true, 2, null, PageChoice.afterMailing(mailing(SignInCodeMail.SENT, 61, 0), false));
        assertEmailPage(true, RecoveryPages.DEFAULT_CODE_MINUTES, null,
                PageChoice.afterMailing(mailing(SignInCodeMail.SENT, 0, 0), false));
        EmailCodePage resent = PageChoice.afterMailing(mailing(SignInCodeMail.SENT, 600, 0), true);
        assertMessage(MessageType.INFO, null, "mfaRecoveryEmailCodeResent", resent.message());
    }

    @Test
    void aCodeNotSentSaysWhy() {
        EmailCodePage cooldown = PageChoice.afterMailing(mailing(SignInCodeMail.COOLDOWN, 0, 42), true);
        assertEmailPage(true, 10, "mfaRecoveryEmailCooldown", cooldown);  // the earlier code is still valid
        assertMessage(MessageType.INFO, null, "mfaRecoveryEmailCooldown", cooldown.message(), 42);
        EmailCodePage capped = PageChoice.afterMailing(mailing(SignInCodeMail.CAPPED, 0, 1800), false);
        assertEmailPage(false, 10, "mfaRecoveryEmailCapped", capped);
        assertMessage(MessageType.ERROR, null, "mfaRecoveryEmailCapped", capped.message(), 30);
        EmailCodePage failed = PageChoice.afterMailing(mailing(SignInCodeMail.MAIL_FAILED, 0, 0), false);
        assertEmailPage(false, 10, "mfaRecoveryEmailMailFailed", failed);
        assertNull(PageChoice.afterMailing(mailing(SignInCodeMail.UNAVAILABLE, 0, 0), false));
    }

    @Test
    void aRefusedEmailCodeIsAFailureOnTheField() {
        Refusal locked = PageChoice.emailCodeRefused(check(SignInCodeCheck.LOCKED, 0));
        assertEquals(Errors.USER_TEMPORARILY_DISABLED, locked.eventError());
        assertMessage(MessageType.ERROR, EMAIL_CODE, "mfaRecoveryTemporarilyLocked", locked.message());
        Refusal expired = PageChoice.emailCodeRefused(check(SignInCodeCheck.EXPIRED, 0));
        assertEquals(Errors.INVALID_USER_CREDENTIALS, expired.eventError());
        assertMessage(MessageType.ERROR, EMAIL_CODE, "mfaRecoveryEmailCodeExpired", expired.message());
        Refusal wrong = PageChoice.emailCodeRefused(check(SignInCodeCheck.REJECTED, 2));
        assertEquals(Errors.INVALID_USER_CREDENTIALS, wrong.eventError());
        assertMessage(MessageType.ERROR, EMAIL_CODE, "mfaRecoveryEmailCodeInvalid", wrong.message(), 2);
        Refusal dead = PageChoice.emailCodeRefused(check(SignInCodeCheck.REJECTED, 0));
        assertMessage(MessageType.ERROR, EMAIL_CODE, "mfaRecoveryEmailCodeUsedUp", dead.message());
    }

    // -- "I have neither" ---------------------------------------------------------------------------------------

    @Test
    void theSupervisorPageSaysWhetherANoticeMayBeSent() {
        assertEquals(new NeitherPage(CAROL, true, false, null), PageChoice.neither(new Supervisor(CAROL, true, 0)));
        assertEquals(new NeitherPage(null, false, false, null), PageChoice.neither(new Supervisor(null, false, 0)));
        NeitherPage recently = PageChoice.neither(new Supervisor(CAROL, false, 3000));
        assertEquals(CAROL, recently.supervisorName());
        assertFalse(recently.canNotify());
        assertMessage(MessageType.INFO, null, "mfaRecoverySupervisorRateLimited", recently.message(), 50);
        assertNull(PageChoice.neither(new Supervisor(CAROL, false, 0)).message());
    }

    @Test
    void afterANoticeThePageSaysItWasSentOrWhyNot() {
        NeitherPage queued = PageChoice.afterNotice(new SupervisorNotice(NoticeResult.QUEUED, CAROL, 0), "Carol");
        assertEquals(new NeitherPage(CAROL, false, true, null), queued);
        assertEquals(new NeitherPage("Carol", false, true, null),
                PageChoice.afterNotice(new SupervisorNotice(NoticeResult.QUEUED, null, 0), "Carol"));
        NeitherPage limited = PageChoice.afterNotice(new SupervisorNotice(NoticeResult.RATE_LIMITED, null, 61),
                "Carol");
        assertEquals("Carol", limited.supervisorName());
        assertFalse(limited.notified());
        assertMessage(MessageType.INFO, null, "mfaRecoverySupervisorRateLimited", limited.message(), 2);
        assertEquals(new NeitherPage(null, false, false, null),
                PageChoice.afterNotice(new SupervisorNotice(NoticeResult.NO_SUPERVISOR, null, 0), "Carol"));
    }

    // -- the backup address on the setup page ---------------------------------------------------------------------

    @Test
    void aCodeForANewAddressLeadsToTheVerifyPage() {
        assertEquals(new AddressCodePage(true, null),
                PageChoice.afterAddressMailing(addressMailing(AddressCodeMail.SENT, 0), false));
        AddressCodePage resent = PageChoice.afterAddressMailing(addressMailing(AddressCodeMail.SENT, 0), true);
        assertTrue(resent.verifyPage());
        assertMessage(MessageType.INFO, null, "mfaRecoveryEmailCodeResent", resent.message());
    }

    @Test
    void aResendStaysOnTheVerifyPageWhateverTheAnswer() {
        AddressCodePage cooldown = PageChoice.afterAddressMailing(addressMailing(AddressCodeMail.COOLDOWN, 42), true);
        assertTrue(cooldown.verifyPage());
        assertMessage(MessageType.INFO, null, "mfaRecoveryEmailCooldown", cooldown.message(), 42);
        AddressCodePage capped = PageChoice.afterAddressMailing(addressMailing(AddressCodeMail.CAPPED, 1800), true);
        assertTrue(capped.verifyPage());
        assertMessage(MessageType.ERROR, null, "mfaRecoverySetupEmailCapped", capped.message(), 30);
    }

    @Test
    void anAddressWithoutACodeGoesBackToItsField() {
        AddressCodePage refused = PageChoice.afterAddressMailing(addressMailing(AddressCodeMail.COOLDOWN, 42), false);
        assertFalse(refused.verifyPage());
        assertMessage(MessageType.ERROR, ADDRESS, "mfaRecoverySetupEmailCooldown", refused.message(), 42);
        String[][] keys = {
            {"INVALID_ADDRESS", "mfaRecoverySetupEmailInvalid"},
            {"SAME_AS_PRIMARY", "mfaRecoverySetupEmailSameAsPrimary"},
            {"DISABLED", "mfaRecoverySetupEmailDisabled"},
            {"MAIL_FAILED", "mfaRecoverySetupEmailMailFailed"},
        };
        for (String[] resultAndKey : keys) {
            CodeMailing<AddressCodeMail> mailing = addressMailing(AddressCodeMail.valueOf(resultAndKey[0]), 0);
            assertMessage(MessageType.ERROR, ADDRESS, resultAndKey[1], PageChoice.addressNotSent(ADDRESS, mailing));
        }
    }

    @Test
    void aCodeThatDidNotVerifyTheAddressSaysWhy() {
        assertMessage(MessageType.ERROR, EMAIL_CODE, "mfaRecoveryEmailCodeExpired",
                PageChoice.addressCodeRefused(new CodeCheck<>(AddressCodeCheck.EXPIRED, 0, false, null, 0)));
        assertMessage(MessageType.ERROR, EMAIL_CODE, "mfaRecoveryEmailCodeInvalid",
                PageChoice.addressCodeRefused(new CodeCheck<>(AddressCodeCheck.REJECTED, 4, false, null, 0)), 4);
        assertMessage(MessageType.ERROR, EMAIL_CODE, "mfaRecoveryEmailCodeUsedUp",
                PageChoice.addressCodeRefused(new CodeCheck<>(AddressCodeCheck.REJECTED, 0, false, null, 0)));
    }

    // -- helpers --------------------------------------------------------------------------------------------------

    private static CodeMailing<SignInCodeMail> mailing(SignInCodeMail result, int expiresIn, int retryAfter) {
        return new CodeMailing<>(result, "j•••@example.org", expiresIn, retryAfter);
    }

    private static CodeMailing<AddressCodeMail> addressMailing(AddressCodeMail result, int retryAfter) {
        return new CodeMailing<>(result, null, 0, retryAfter);
    }

    private static CodeCheck<SignInCodeCheck> check(SignInCodeCheck result, int attemptsLeft) {
        return new CodeCheck<>(result, attemptsLeft, false, null, 0);
    }

    private static void assertEmailPage(boolean sent, int minutes, String key, EmailCodePage page) {
        assertEquals(sent, page.sent());
        assertEquals(minutes, page.validMinutes());
        assertEquals(key, page.message() == null ? null : page.message().key());
    }

    /** PageMessage is a record over an array, so it is compared part by part. */
    private static void assertMessage(MessageType type, String field, String key, PageMessage actual,
                                      Object... params) {
        assertEquals(List.of(type, String.valueOf(field), key, Arrays.asList(params)),
                List.of(actual.type(), String.valueOf(actual.field()), actual.key(), Arrays.asList(actual.params())));
    }
}
