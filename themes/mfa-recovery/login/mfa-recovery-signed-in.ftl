<#-- After a backup code was accepted: how many codes are left, before the sign-in finishes. -->
<#import "template.ftl" as layout>
<#import "buttons.ftl" as buttons>
<@layout.registrationLayout displayMessage=false; section>
    <#if section="header">
        ${msg("mfaRecoverySignedInTitle")}
    <#elseif section="form">
        <p id="mfa-recovery-remaining" class="mfa-recovery-text">${msg("mfaRecoverySignedInRemaining", backupCodesRemaining)}</p>
        <#if regenerate>
            <div id="mfa-recovery-low" class="${properties.kcAlertClass!} pf-m-warning" role="status">
                <p class="${properties.kcAlertTitleClass!}">${msg("mfaRecoverySignedInLow")}</p>
            </div>
        </#if>
        <#if reenrolOtp>
            <p id="mfa-recovery-reenrol" class="mfa-recovery-text">${msg("mfaRecoverySignedInReenrol")}</p>
        </#if>
        <form id="mfa-recovery-continue-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <@buttons.actionGroup>
                <@buttons.button id="mfa-recovery-continue" name="continue" label="doContinue" />
            </@buttons.actionGroup>
        </form>
    </#if>
</@layout.registrationLayout>
