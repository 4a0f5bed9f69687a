<#-- MFA recovery: the user has no backup code and no backup email address. -->
<#import "template.ftl" as layout>
<#import "mfa-recovery-common.ftl" as recovery>
<@layout.registrationLayout displayMessage=false; section>
    <#if section="header">
        ${msg("mfaRecoveryNoMethodTitle")}
    <#elseif section="form">
        <p id="mfa-recovery-no-method" class="mfa-recovery-text">${msg("mfaRecoveryNoMethodText")}</p>
        <@recovery.switchTo providerId="auth-otp-form" label="mfaRecoveryBackToOtp" id="mfa-recovery-back-to-otp" />
    </#if>
</@layout.registrationLayout>
