<#-- MFA recovery: how to sign in without the authenticator app. Rendered by the keycloak-bridge authenticator.
     Offers only the methods the user has (backupCodeOffered, emailOffered) and always "I have neither". -->
<#import "template.ftl" as layout>
<#import "buttons.ftl" as buttons>
<#import "mfa-recovery-common.ftl" as recovery>
<@layout.registrationLayout displayMessage=true; section>
    <#if section="header">
        ${msg("mfaRecoveryChoiceTitle")}
    <#elseif section="form">
        <p id="mfa-recovery-choice-help" class="mfa-recovery-text">${msg("mfaRecoveryChoiceHelp")}</p>
        <form id="mfa-recovery-choice-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <@buttons.actionGroup>
                <#if backupCodeOffered!false>
                    <button id="mfa-recovery-choose-backup-code" type="submit" name="choice" value="backup_code"
                            class="${properties.kcButtonSecondaryClass!} ${properties.kcButtonBlockClass!}">${msg("mfaRecoveryChooseBackupCode")}</button>
                </#if>
                <#if emailOffered!false>
                    <button id="mfa-recovery-choose-email" type="submit" name="choice" value="email"
                            class="${properties.kcButtonSecondaryClass!} ${properties.kcButtonBlockClass!}"><#if emailHint??>${msg("mfaRecoveryChooseEmail", emailHint)}<#else>${msg("mfaRecoveryChooseEmailNoHint")}</#if></button>
                </#if>
                <button id="mfa-recovery-choose-neither" type="submit" name="choice" value="neither"
                        class="${properties.kcButtonSecondaryClass!} ${properties.kcButtonBlockClass!}">${msg("mfaRecoveryChooseNeither")}</button>
            </@buttons.actionGroup>
        </form>
        <@recovery.switchTo providerId="auth-otp-form" label="mfaRecoveryBackToOtp" id="mfa-recovery-back-to-otp" />
    </#if>
</@layout.registrationLayout>
