<#-- MFA recovery: sign in with a backup code. Rendered by the keycloak-bridge authenticator. -->
<#import "template.ftl" as layout>
<#import "buttons.ftl" as buttons>
<#import "mfa-recovery-common.ftl" as recovery>
<@layout.registrationLayout displayMessage=!messagesPerField.existsError('backupCode'); section>
    <#if section="header">
        ${msg("mfaRecoveryCodeTitle")}
    <#elseif section="form">
        <p id="mfa-recovery-code-help" class="mfa-recovery-text">${msg("mfaRecoveryCodeHelp")}</p>
        <form id="mfa-recovery-code-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <@recovery.codeField name="backupCode" label=msg("mfaRecoveryCodeLabel") helpId="mfa-recovery-code-help" />
            <@buttons.loginButton />
        </form>
        <@recovery.otherOptionsButton />
        <@recovery.switchTo providerId="auth-otp-form" label="mfaRecoveryBackToOtp" id="mfa-recovery-back-to-otp" />
    </#if>
</@layout.registrationLayout>
