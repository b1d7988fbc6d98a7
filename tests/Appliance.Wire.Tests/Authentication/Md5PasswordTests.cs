using Appliance.Wire.Authentication;

namespace Appliance.Wire.Tests.Authentication;

public class Md5PasswordTests
{
    [Fact]
    public void Compute_MatchesAnIndependentComputation()
    {
        // python3: "md5" + md5(md5(b"secret" + b"alice").hexdigest().encode() + bytes([1, 2, 3, 4])).hexdigest()
        Assert.Equal("md598a0412b9c31436fc53776e863350083", Md5Password.Compute("alice", "secret", [1, 2, 3, 4]));
    }

    [Fact]
    public void Compute_DependsOnTheSalt()
    {
        var hash = Md5Password.Compute("alice", "secret", [1, 2, 3, 5]);

        Assert.NotEqual("md598a0412b9c31436fc53776e863350083", hash);
        Assert.Equal(Md5Password.Length, hash.Length);
    }

    [Fact]
    public void Compute_SaltNotFourBytes_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => Md5Password.Compute("alice", "secret", [1, 2, 3]));
    }
}
