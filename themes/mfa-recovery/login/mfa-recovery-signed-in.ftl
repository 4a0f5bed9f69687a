<#-- After a backup code or a code by email was accepted, before the sign-in finishes: for backup codes how many
     are left; for both what happens next. -->
<#import "template.ftl" as layout>
<#import "buttons.ftl" as buttons>
<#assign withEmail = (recoveredWith!"backup_code") == "email">
<@layout.registrationLayout displayMessage=false; section>
    <#if section="header">
        <#if withEmail>${msg("mfaRecoverySignedInEmailTitle")}<#else>${msg("mfaRecoverySignedInTitle")}</#if>
    <#elseif section="form">
        <#if withEmail>
            <p id="mfa-recovery-signed-in-email" class="mfa-recovery-text">${msg("mfaRecoverySignedInEmailText")}</p>
        <#elseif backupCodesRemaining??>
            <p id="mfa-recovery-remaining" class="mfa-recovery-text">${msg("mfaRecoverySignedInRemaining", backupCodesRemaining)}</p>
        </#if>
        <#if regenerate!false>
            <div id="mfa-recovery-low" class="${properties.kcAlertClass!} pf-m-warning" role="status">
                <p class="${properties.kcAlertTitleClass!}">${msg("mfaRecoverySignedInLow")}</p>
            </div>
        </#if>
        <#if reenrolOtp!false>
            <p id="mfa-recovery-reenrol" class="mfa-recovery-text">${msg("mfaRecoverySignedInReenrol")}</p>
        </#if>
        <form id="mfa-recovery-continue-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <@buttons.actionGroup>
                <@buttons.button id="mfa-recovery-continue" name="continue" label="doContinue" />
            </@buttons.actionGroup>
        </form>
    </#if>
</@layout.registrationLayout>
