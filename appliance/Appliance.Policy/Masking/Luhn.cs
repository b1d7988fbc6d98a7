namespace Appliance.Policy.Masking;

internal static class Luhn
{
    /// <summary>The Luhn (mod 10) check over ASCII digits, read from the last one back.</summary>
    public static bool IsValid(ReadOnlySpan<byte> digits)
    {
        var sum = 0;
        var doubled = false;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            if (doubled)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubled = !doubled;
        }

        return sum % 10 == 0;
    }
}
