using Appliance.Policy.Masking;

namespace Appliance.Policy.Tests.Masking;

/// <summary>The gateway's own credentials pasted into free text are cut to their prefix (probes CQ2, CR2, CR3, CU3, CU4).</summary>
public sealed class GatewayCredentialTests
{
    private const string Secret = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde";

    [Theory]
    [InlineData("work_mem=apt_" + Secret, false, "work_mem=apt_****")]
    [InlineData("AGC_ " + Secret + " please", false, "AGC_**** please")]
    [InlineData("tokenapt_" + Secret, false, "tokenapt_****")]
    [InlineData("apt    _" + Secret, false, "apt_****")]
    [InlineData("apt\\_" + Secret, false, "apt_****")]
    [InlineData("agc-" + Secret, false, "agc_****")]
    [InlineData("apt%5F" + Secret, false, "apt_****")]
    [InlineData("aptitude_assessment_results_for_quarterly_review_2024", false, "aptitude_assessment_results_for_quarterly_review_2024")]
    [InlineData("adapt_the_reconciliation_pipeline_for_quarterly_review", false, "adapt_the_reconciliation_pipeline_for_quarterly_review")]
    [InlineData("agc-inventory-sync-worker-production-eu-west-1-blue", false, "agc-inventory-sync-worker-production-eu-west-1-blue")]
    [InlineData("apt:" + Secret, false, "apt_****")]
    [InlineData("apt" + Secret, false, "apt_****")]
    [InlineData("apt         " + Secret, false, "apt_****")]
    [InlineData("work_mem=" + Secret, true, "work_mem=****")]
    [InlineData("work_mem=" + Secret, false, "work_mem=" + Secret)]
    [InlineData("billing-reconciliation-worker-prod-euwest-1", true, "billing-reconciliation-worker-prod-euwest-1")]
    [InlineData("adaptive_learning_rate_configuration_value_number_two", false, "adaptive_learning_rate_configuration_value_number_two")]
    [InlineData("hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", true, "hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    public void ACredential_IsCutToItsPrefix_AndOtherTextIsKept(string text, bool bareSecrets, string kept) =>
        Assert.Equal(kept, Appliance.Logging.GatewayCredentials.Cut(text, bareSecrets));
}
