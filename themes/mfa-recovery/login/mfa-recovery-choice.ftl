<#-- MFA recovery: how to sign in without the authenticator app. Rendered by the keycloak-bridge authenticator.
     One page: the backup-code field with its button (backupCodeOffered), then "Send a code to j•••@example.org"
     (emailOffered) and always "I have neither". A refused code comes back to this page, on the field. -->
<#import "template.ftl" as layout>
<#import "buttons.ftl" as buttons>
<#import "mfa-recovery-common.ftl" as recovery>
<#assign codeOffered = backupCodeOffered!false>
<@layout.registrationLayout displayMessage=!messagesPerField.existsError('backupCode'); section>
    <#if section="header">
        ${msg("mfaRecoveryChoiceTitle")}
    <#elseif section="form">
        <#if codeOffered>
            <p id="mfa-recovery-code-help" class="mfa-recovery-text">${msg("mfaRecoveryCodeHelp")}</p>
            <form id="mfa-recovery-code-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
                <@recovery.codeField name="backupCode" label=msg("mfaRecoveryCodeLabel") helpId="mfa-recovery-code-help" />
                <@buttons.loginButton />
            </form>
            <p id="mfa-recovery-choice-help" class="mfa-recovery-text mfa-recovery-other-ways">${msg("mfaRecoveryChoiceOtherWays")}</p>
        <#else>
            <p id="mfa-recovery-choice-help" class="mfa-recovery-text">${msg("mfaRecoveryChoiceHelp")}</p>
        </#if>
        <form id="mfa-recovery-choice-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post" novalidate="novalidate">
            <@buttons.actionGroup>
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
