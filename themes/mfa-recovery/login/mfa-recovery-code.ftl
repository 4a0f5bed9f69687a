<#-- MFA recovery: sign in with a backup code. Rendered by the keycloak-bridge authenticator. -->
<#import "template.ftl" as layout>
<#import "field.ftl" as field>
<#import "buttons.ftl" as buttons>
<#import "mfa-recovery-common.ftl" as recovery>
<@layout.registrationLayout displayMessage=!messagesPerField.existsError('backupCode'); section>
    <#if section="header">
        ${msg("mfaRecoveryCodeTitle")}
    <#elseif section="form">
        <p id="mfa-recovery-code-help" class="mfa-recovery-text">${msg("mfaRecoveryCodeHelp")}</p>
        <form id="mfa-recovery-code-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <@field.group name="backupCode" label=msg("mfaRecoveryCodeLabel") error=messagesPerField.get("backupCode") required=true>
                <span class="${properties.kcInputClass!} <#if messagesPerField.existsError('backupCode')>${properties.kcError!}</#if>">
                    <input id="backupCode" name="backupCode" type="text" autocomplete="off" autocapitalize="characters"
                           spellcheck="false" maxlength="64" autofocus required aria-describedby="mfa-recovery-code-help"
                           aria-invalid="<#if messagesPerField.existsError('backupCode')>true</#if>"/>
                </span>
            </@field.group>
            <@buttons.loginButton />
        </form>
        <@recovery.switchTo providerId="auth-otp-form" label="mfaRecoveryBackToOtp" id="mfa-recovery-back-to-otp" />
    </#if>
</@layout.registrationLayout>
