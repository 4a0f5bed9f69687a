<#-- MFA recovery: "contact your supervisor". Shown when the user has no backup code and no backup email address
     (otherOptions false), or chose "I have neither" on the choice page (otherOptions true). -->
<#import "template.ftl" as layout>
<#import "buttons.ftl" as buttons>
<#import "mfa-recovery-common.ftl" as recovery>
<@layout.registrationLayout displayMessage=true; section>
    <#if section="header">
        <#if otherOptions!false>${msg("mfaRecoveryNeitherTitle")}<#else>${msg("mfaRecoveryNoMethodTitle")}</#if>
    <#elseif section="form">
        <p id="mfa-recovery-no-method" class="mfa-recovery-text"><#if otherOptions!false>${msg("mfaRecoveryNeitherText")}<#else>${msg("mfaRecoveryNoMethodText")}</#if></p>
        <#if supervisorName??>
            <p id="mfa-recovery-supervisor" class="mfa-recovery-text">${msg("mfaRecoverySupervisorIs", supervisorName)}</p>
        </#if>
        <#if supervisorNotified!false>
            <div id="mfa-recovery-supervisor-notified" class="${properties.kcAlertClass!} pf-m-success" role="status">
                <p class="${properties.kcAlertTitleClass!}"><#if supervisorName??>${msg("mfaRecoverySupervisorNotified", supervisorName)}<#else>${msg("mfaRecoverySupervisorNotifiedNoName")}</#if></p>
            </div>
        </#if>
        <#if canNotifySupervisor!false>
            <form id="mfa-recovery-notify-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
                <@buttons.actionGroup>
                    <@buttons.button id="mfa-recovery-notify-supervisor" name="notify" label="mfaRecoveryNotifySupervisor" value="true" />
                </@buttons.actionGroup>
            </form>
        </#if>
        <@recovery.otherOptionsButton />
        <@recovery.switchTo providerId="auth-otp-form" label="mfaRecoveryBackToOtp" id="mfa-recovery-back-to-otp" />
    </#if>
</@layout.registrationLayout>
