<#-- Set up account recovery: a new set of backup codes, shown once. Rendered by the bridge's required action. -->
<#import "template.ftl" as layout>
<#import "field.ftl" as field>
<#import "buttons.ftl" as buttons>
<@layout.registrationLayout displayMessage=!messagesPerField.existsError('email'); section>
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
        <#if backupEmailEnabled!false>
            <#assign emailError = messagesPerField.existsError('email')>
            <section id="mfa-recovery-backup-email" class="mfa-recovery-backup-email" aria-labelledby="mfa-recovery-backup-email-title">
                <h2 id="mfa-recovery-backup-email-title" class="mfa-recovery-heading">${msg("mfaRecoverySetupEmailTitle")}</h2>
                <p id="mfa-recovery-backup-email-help" class="mfa-recovery-text">${msg("mfaRecoverySetupEmailIntro")}</p>
                <p id="mfa-recovery-backup-email-state" class="mfa-recovery-text"><#if backupEmailHint??>${msg("mfaRecoverySetupEmailCurrent", backupEmailHint)}<#else>${msg("mfaRecoverySetupEmailNone")}</#if></p>
                <form id="mfa-recovery-backup-email-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
                    <@field.group name="mfa-recovery-backup-email-address" label=msg("mfaRecoverySetupEmailLabel") error=messagesPerField.get("email") required=true>
                        <span class="${properties.kcInputClass!} <#if emailError>${properties.kcError!}</#if>">
                            <input id="mfa-recovery-backup-email-address" name="email" type="email" autocomplete="email"
                                   spellcheck="false" maxlength="254" required value="${backupEmailAddress!''}"
                                   aria-describedby="mfa-recovery-backup-email-help<#if emailError> input-error-mfa-recovery-backup-email-address</#if>"
                                   aria-invalid="<#if emailError>true</#if>"/>
                        </span>
                    </@field.group>
                    <@buttons.actionGroup>
                        <@buttons.button id="mfa-recovery-backup-email-send" name="backupEmailAction" value="send" type="secondary" label="mfaRecoverySetupEmailSend" />
                    </@buttons.actionGroup>
                </form>
            </section>
        </#if>
        <form id="mfa-recovery-setup-form" class="${properties.kcFormClass!}" action="${url.loginAction}" method="post">
            <div class="${properties.kcCheckboxClass!} mfa-recovery-confirm">
                <input id="mfa-recovery-saved" class="${properties.kcCheckboxInputClass!}" type="checkbox" name="saved" required>
                <label for="mfa-recovery-saved" class="${properties.kcCheckboxLabelClass!}">${msg("mfaRecoverySetupSaved")}</label>
            </div>
            <@buttons.actionGroup>
                <@buttons.button id="mfa-recovery-setup-confirm" name="confirm" label="mfaRecoverySetupConfirm" />
            </@buttons.actionGroup>
        </form>
        <#if skippable!false>
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
