<#-- MFA recovery: sign in with the code mailed to the backup email address. Rendered by the keycloak-bridge
     authenticator. emailCodeSent: a code was sent now or earlier (false when sending failed). -->
<#import "template.ftl" as layout>
<#import "buttons.ftl" as buttons>
<#import "mfa-recovery-common.ftl" as recovery>
<@layout.registrationLayout displayMessage=!messagesPerField.existsError('emailCode'); section>
    <#if section="header">
        ${msg("mfaRecoveryEmailCodeTitle")}
    <#elseif section="form">
        <#assign codeSent = emailCodeSent!false>
        <#if codeSent>
            <p id="mfa-recovery-email-code-help" class="mfa-recovery-text"><#if emailHint??>${msg("mfaRecoveryEmailCodeSent", emailHint, emailCodeMinutes!10)}<#else>${msg("mfaRecoveryEmailCodeSentNoHint", emailCodeMinutes!10)}</#if></p>
        </#if>
        <form id="mfa-recovery-email-code-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <@recovery.codeField name="emailCode" label=msg("mfaRecoveryEmailCodeLabel") numeric=true
                    helpId=codeSent?then("mfa-recovery-email-code-help", "") />
            <@buttons.actionGroup>
                <@buttons.button id="mfa-recovery-email-submit" name="login" label="doLogIn" />
            </@buttons.actionGroup>
        </form>
        <form id="mfa-recovery-email-resend-form" class="mfa-recovery-action-form" action="${url.loginAction}" method="post" novalidate="novalidate">
            <button id="mfa-recovery-email-resend" type="submit" name="resend" value="true"
                    class="${properties.kcButtonSecondaryClass!} ${properties.kcButtonBlockClass!}">${msg("mfaRecoveryEmailResend")}</button>
        </form>
        <@recovery.otherOptionsButton />
        <@recovery.switchTo providerId="auth-otp-form" label="mfaRecoveryBackToOtp" id="mfa-recovery-back-to-otp" />
    </#if>
</@layout.registrationLayout>
