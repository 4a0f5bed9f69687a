<#-- The OTP page of keycloak.v2 with two additions: "Use backup code/email", straight to the MFA recovery step, and
     "Administrator and lost your MFA?", to the recovery desk (when its URL is configured). -->
<#import "template.ftl" as layout>
<#import "field.ftl" as field>
<#import "buttons.ftl" as buttons>
<#import "mfa-recovery-common.ftl" as recovery>
<@layout.registrationLayout displayMessage=!messagesPerField.existsError('totp'); section>
    <#if section="header">
        ${msg("doLogIn")}
    <#elseif section="form">
        <form id="kc-otp-login-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <#if otpLogin.userOtpCredentials?size gt 1>
                <fieldset class="${properties.kcFormGroupClass!}">
                    <legend class="${properties.kcFormLabelClass!}">${msg("mfaRecoveryOtpDevice")}</legend>
                    <#list otpLogin.userOtpCredentials as otpCredential>
                        <div class="${properties.kcCheckboxClass!}">
                            <input id="kc-otp-credential-${otpCredential?index}" class="${properties.kcCheckboxInputClass!}"
                                   type="radio" name="selectedCredentialId" value="${otpCredential.id}"
                                   <#if otpCredential.id == otpLogin.selectedCredentialId!''>checked</#if>>
                            <label for="kc-otp-credential-${otpCredential?index}" class="${properties.kcCheckboxLabelClass!}">${otpCredential.userLabel}</label>
                        </div>
                    </#list>
                </fieldset>
            <#else>
                <input type="hidden" name="selectedCredentialId" value="${otpLogin.selectedCredentialId!''}">
            </#if>

            <@field.input name="otp" label=msg("loginOtpOneTime") autocomplete="one-time-code" fieldName="totp" autofocus=true />

            <@buttons.loginButton />
        </form>
        <@recovery.switchTo providerId="mfa-recovery" label="mfaRecoveryUseBackup" id="mfa-recovery-link" />
        <@recovery.deskLink />
    </#if>
</@layout.registrationLayout>
