<#-- MFA recovery: the sidecar could not be reached. The authenticator app keeps working. -->
<#import "template.ftl" as layout>
<#import "mfa-recovery-common.ftl" as recovery>
<@layout.registrationLayout displayMessage=false; section>
    <#if section="header">
        ${msg("mfaRecoveryUnavailableTitle")}
    <#elseif section="form">
        <div id="mfa-recovery-unavailable" class="${properties.kcAlertClass!} pf-m-warning" role="alert">
            <p class="${properties.kcAlertTitleClass!}">${msg("mfaRecoveryUnavailableText")}</p>
        </div>
        <@recovery.switchTo providerId="auth-otp-form" label="mfaRecoveryBackToOtp" id="mfa-recovery-back-to-otp" />
    </#if>
</@layout.registrationLayout>
