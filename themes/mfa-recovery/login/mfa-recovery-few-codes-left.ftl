<#-- After an accepted backup code that left the user at or below the realm's warning threshold, before the sign-in
     goes on: how many are left, that a new set comes next, and whether a new authenticator app comes first. Above the
     threshold the sign-in goes straight on (the notification mail says how many are left). -->
<#import "template.ftl" as layout>
<#import "buttons.ftl" as buttons>
<@layout.registrationLayout displayMessage=false; section>
    <#if section="header">
        ${msg("mfaRecoverySignedInTitle")}
    <#elseif section="form">
        <p id="mfa-recovery-remaining" class="mfa-recovery-text">${msg("mfaRecoverySignedInRemaining", backupCodesRemaining)}</p>
        <div id="mfa-recovery-low" class="${properties.kcAlertClass!} pf-m-warning" role="status">
            <p class="${properties.kcAlertTitleClass!}">${msg("mfaRecoverySignedInLow")}</p>
        </div>
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
