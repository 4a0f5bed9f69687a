<#-- Set up account recovery: confirm a new backup email address with the code mailed to it. Rendered by the
     bridge's required action; the backup codes of the setup page stay pending meanwhile. -->
<#import "template.ftl" as layout>
<#import "buttons.ftl" as buttons>
<#import "mfa-recovery-common.ftl" as recovery>
<@layout.registrationLayout displayMessage=!messagesPerField.existsError('emailCode'); section>
    <#if section="header">
        ${msg("mfaRecoverySetupEmailVerifyTitle")}
    <#elseif section="form">
        <p id="mfa-recovery-backup-email-verify-help" class="mfa-recovery-text">${msg("mfaRecoverySetupEmailVerifyHelp", pendingEmailHint!"")}</p>
        <form id="mfa-recovery-backup-email-verify-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <@recovery.codeField name="emailCode" label=msg("mfaRecoveryEmailCodeLabel") numeric=true
                    helpId="mfa-recovery-backup-email-verify-help" />
            <@buttons.actionGroup>
                <@buttons.button id="mfa-recovery-backup-email-verify" name="backupEmailAction" value="verify" label="mfaRecoverySetupEmailVerify" />
            </@buttons.actionGroup>
        </form>
        <form id="mfa-recovery-backup-email-resend-form" class="mfa-recovery-action-form" action="${url.loginAction}" method="post" novalidate="novalidate">
            <@buttons.button id="mfa-recovery-backup-email-resend" name="backupEmailAction" value="resend" type="secondary" label="mfaRecoverySetupEmailResend" />
        </form>
        <form id="mfa-recovery-backup-email-back-form" class="mfa-recovery-switch" action="${url.loginAction}" method="post" novalidate="novalidate">
            <button id="mfa-recovery-backup-email-back" type="submit" name="backupEmailAction" value="back" class="${properties.kcButtonLinkClass!}">${msg("mfaRecoverySetupEmailBack")}</button>
        </form>
    </#if>
</@layout.registrationLayout>
