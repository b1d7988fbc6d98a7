using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Appliance.Wire.Primitives;

namespace Appliance.Wire.Authentication;

/// <summary>
/// The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) for the gateway's upstream leg,
/// without channel binding (GS2 header <c>n,,</c>). One instance per authentication:
/// <see cref="CreateClientFirstMessage"/> → SASLInitialResponse; the server's SASLContinue
/// data → <see cref="CreateClientFinalMessage"/> → SASLResponse; the server's SASLFinal data
/// → <see cref="VerifyServerFinalMessage"/>. A server that cannot prove it knows the password
/// is refused, so a man in the middle cannot fake a successful login.
/// </summary>
/// <remarks>
/// The password is used as UTF-8 without SASLprep. That matches the server for ASCII passwords
/// (PostgreSQL's pg_saslprep returns ASCII unchanged) and for non-ASCII ones that are already
/// normalized; full SASLprep needs NFKC, which globalization-invariant mode does not provide.
/// </remarks>
internal sealed class ScramSha256Client
{
    public const string Mechanism = "SCRAM-SHA-256";

    /// <summary>RFC 7677 asks for at least 4096; fewer would weaken what an eavesdropper can brute-force.</summary>
    public const int MinIterations = 4096;

    /// <summary>Bounds the CPU an upstream can make the gateway spend per connection.</summary>
    public const int MaxIterations = 1_000_000;

    private const string Gs2Header = "n,,";
    private const string Name = "SCRAM";

    private readonly string _password;
    private readonly string _clientNonce;
    private readonly string _clientFirstBare;
    private State _state;
    private byte[]? _expectedServerSignature;

    /// <param name="user">Sent in client-first; PostgreSQL ignores it (the startup user counts), so libpq sends it empty.</param>
    /// <param name="clientNonce">Only for tests with fixed vectors; otherwise 18 random bytes, base64 like libpq.</param>
    public ScramSha256Client(string password, string user = "", string? clientNonce = null)
    {
        _password = password;
        _clientNonce = clientNonce ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        _clientFirstBare = $"n={EscapeUser(user)},r={_clientNonce}";
    }

    private enum State
    {
        Initial,
        SentClientFirst,
        SentClientFinal,
        Done,
    }

    /// <summary>The SASLInitialResponse data: <c>n,,n=user,r=nonce</c>.</summary>
    public byte[] CreateClientFirstMessage()
    {
        Expect(State.Initial);
        _state = State.SentClientFirst;
        return Encoding.ASCII.GetBytes(Gs2Header + _clientFirstBare);
    }

    /// <summary>Checks server-first (nonce, salt, iteration count) and returns the SASLResponse data with the client proof.</summary>
    /// <exception cref="PgProtocolException">The server-first message is malformed or unacceptable.</exception>
    public byte[] CreateClientFinalMessage(ReadOnlySpan<byte> serverFirstMessage)
    {
        Expect(State.SentClientFirst);
        var serverFirst = DecodeAscii(serverFirstMessage);
        var attributes = serverFirst.Split(',');
        if (attributes.Length < 3 || !attributes[0].StartsWith("r=", StringComparison.Ordinal) ||
            !attributes[1].StartsWith("s=", StringComparison.Ordinal) || !attributes[2].StartsWith("i=", StringComparison.Ordinal))
        {
            WireThrow.Malformed(Name, "server-first-message is not r=...,s=...,i=...");
        }

        var nonce = attributes[0][2..];
        if (nonce.Length <= _clientNonce.Length || !nonce.StartsWith(_clientNonce, StringComparison.Ordinal))
        {
            WireThrow.Malformed(Name, "the server nonce does not extend the client nonce");
        }

        var salt = DecodeBase64(attributes[1][2..], "salt");
        if (salt.Length == 0)
        {
            WireThrow.Malformed(Name, "empty salt");
        }

        if (!int.TryParse(attributes[2].AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) ||
            iterations is < MinIterations or > MaxIterations)
        {
            WireThrow.Malformed(Name, $"iteration count '{attributes[2][2..]}' is outside {MinIterations} to {MaxIterations}");
        }

        var finalWithoutProof = $"c={Convert.ToBase64String(Encoding.ASCII.GetBytes(Gs2Header))},r={nonce}";
        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{serverFirst},{finalWithoutProof}");
        var passwordBytes = Encoding.UTF8.GetBytes(_password);
        var saltedPassword = Rfc2898DeriveBytes.Pbkdf2(passwordBytes, salt, iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(saltedPassword, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var proof = HMACSHA256.HashData(storedKey, authMessage);
        for (var i = 0; i < proof.Length; i++)
        {
            proof[i] ^= clientKey[i];
        }

        var serverKey = HMACSHA256.HashData(saltedPassword, "Server Key"u8);
        _expectedServerSignature = HMACSHA256.HashData(serverKey, authMessage);
        CryptographicOperations.ZeroMemory(passwordBytes);
        CryptographicOperations.ZeroMemory(saltedPassword);
        CryptographicOperations.ZeroMemory(clientKey);
        CryptographicOperations.ZeroMemory(serverKey);
        _state = State.SentClientFinal;
        return Encoding.ASCII.GetBytes($"{finalWithoutProof},p={Convert.ToBase64String(proof)}");
    }

    /// <summary>Checks the server signature (<c>v=...</c>) in SASLFinal.</summary>
    /// <exception cref="PgProtocolException">The server reported an error (<c>e=...</c>), the message is malformed, or the signature is wrong.</exception>
    public void VerifyServerFinalMessage(ReadOnlySpan<byte> serverFinalMessage)
    {
        Expect(State.SentClientFinal);
        var serverFinal = DecodeAscii(serverFinalMessage);
        if (serverFinal.StartsWith("e=", StringComparison.Ordinal))
        {
            throw new PgProtocolException($"The server ended SCRAM authentication with error '{serverFinal[2..]}'.", SqlStates.InvalidAuthorizationSpecification);
        }

        var verifier = serverFinal.Split(',')[0];
        if (!verifier.StartsWith("v=", StringComparison.Ordinal))
        {
            WireThrow.Malformed(Name, "server-final-message has no verifier");
        }

        var signature = DecodeBase64(verifier[2..], "server signature");
        if (!CryptographicOperations.FixedTimeEquals(signature, _expectedServerSignature))
        {
            throw new PgProtocolException(
                "The server's SCRAM signature is wrong: it does not know the password, so it is not the configured server.",
                SqlStates.InvalidAuthorizationSpecification);
        }

        _state = State.Done;
    }

    /// <summary>RFC 5802 saslname: ',' and '=' are escaped.</summary>
    private static string EscapeUser(string user) => user.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal);

    private static string DecodeAscii(ReadOnlySpan<byte> message)
    {
        foreach (var b in message)
        {
            if (b is < 0x20 or > 0x7E)
            {
                WireThrow.Malformed(Name, "the server message is not printable ASCII");
            }
        }

        return Encoding.ASCII.GetString(message);
    }

    private static byte[] DecodeBase64(string text, string what)
    {
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(text.Length)];
        if (!Convert.TryFromBase64String(text, bytes, out var written))
        {
            WireThrow.Malformed(Name, $"the {what} is not base64");
        }

        return bytes[..written];
    }

    private void Expect(State state)
    {
        if (_state != state)
        {
            throw new InvalidOperationException($"SCRAM step out of order: expected {state}, at {_state}.");
        }
    }
}
