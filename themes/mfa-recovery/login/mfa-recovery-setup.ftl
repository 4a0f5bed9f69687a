<#-- Set up account recovery: a new set of backup codes, shown once. Rendered by the bridge's required action. -->
<#import "template.ftl" as layout>
<#import "buttons.ftl" as buttons>
<@layout.registrationLayout displayMessage=true; section>
    <#if section="header">
        ${msg("mfaRecoverySetupTitle")}
    <#elseif section="form">
        <p class="mfa-recovery-text">${msg("mfaRecoverySetupIntro")}</p>
        <ol id="mfa-recovery-codes" class="mfa-recovery-codes" aria-label="${msg("mfaRecoverySetupCodesLabel")}">
            <#list backupCodes as code>
                <li><code>${code}</code></li>
            </#list>
        </ol>
        <div class="mfa-recovery-code-actions">
            <button id="mfa-recovery-copy" type="button" class="${properties.kcButtonSecondaryClass!}" hidden
                    data-copied="${msg("mfaRecoverySetupCopied")}">${msg("mfaRecoverySetupCopy")}</button>
            <a id="mfa-recovery-download" class="${properties.kcButtonSecondaryClass!}" download="backup-codes-${realm.name}.txt"
               href="data:text/plain;charset=utf-8,${backupCodesText?url('UTF-8')}">${msg("mfaRecoverySetupDownload")}</a>
            <button id="mfa-recovery-print" type="button" class="${properties.kcButtonSecondaryClass!}" hidden>${msg("mfaRecoverySetupPrint")}</button>
        </div>
        <form id="mfa-recovery-setup-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <div class="${properties.kcCheckboxClass!} mfa-recovery-confirm">
                <input id="mfa-recovery-saved" class="${properties.kcCheckboxInputClass!}" type="checkbox" name="saved" required>
                <label for="mfa-recovery-saved" class="${properties.kcCheckboxLabelClass!}">${msg("mfaRecoverySetupSaved")}</label>
            </div>
            <@buttons.actionGroup>
                <@buttons.button id="mfa-recovery-setup-confirm" name="confirm" label="mfaRecoverySetupConfirm" />
            </@buttons.actionGroup>
        </form>
        <#if skippable>
            <form id="mfa-recovery-skip-form" action="${url.loginAction}" method="post">
                <button id="mfa-recovery-skip" type="submit" name="skip" value="true" class="${properties.kcButtonLinkClass!}">${msg("mfaRecoverySetupSkip")}</button>
            </form>
        </#if>
        <#if isAppInitiatedAction??>
            <form id="mfa-recovery-cancel-form" action="${url.loginAction}" method="post">
                <button id="mfa-recovery-cancel" type="submit" name="cancel-aia" value="true" class="${properties.kcButtonLinkClass!}">${msg("doCancel")}</button>
            </form>
        </#if>
        <script src="${url.resourcesPath}/js/mfa-recovery-setup.js" defer></script>
    </#if>
</@layout.registrationLayout>
