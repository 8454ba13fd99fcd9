using PoolDetector.Attribution;
using PoolDetector.Core.Decoding;

namespace PoolDetector.Tests.Attribution;

public class InventoryTests
{
    private const string Good = """
        cidr,department,owner,contact
        # the whole campus, then a faculty, then one lab inside it
        10.0.0.0/8,Central IT,IT Operations,noc@campus.example
        10.1.0.0/16,Physics,"Doe, Jane",physics-it@campus.example
        10.1.2.0/24,Physics Lab 2,Lab manager,+1 555 0102
        2001:db8:10::/48,Chemistry,,
        2001:db8:10:5::/64,"Chemistry, NMR group",Dr. Roe,nmr@campus.example
        192.0.2.44,Library kiosk,,
        """;

    private static Inventory Load(string text)
    {
        var errors = new List<string>();
        var inventory = Inventory.Parse(text, "inventory.csv", errors);
        Assert.Empty(errors);
        return inventory!;
    }

    private static string? Department(Inventory inventory, string address) =>
        inventory.TryFind(IpAddress.Parse(address), out var unit) ? unit.Department : null;

    [Theory]
    [InlineData("10.1.2.3", "Physics Lab 2")]
    [InlineData("10.1.3.3", "Physics")]
    [InlineData("10.2.0.1", "Central IT")]
    [InlineData("11.0.0.1", null)]
    [InlineData("2001:db8:10:5::17", "Chemistry, NMR group")]
    [InlineData("2001:db8:10:6::17", "Chemistry")]
    [InlineData("2001:db8:11::1", null)]
    [InlineData("192.0.2.44", "Library kiosk")]
    [InlineData("192.0.2.45", null)]
    public void The_most_specific_network_names_the_unit(string address, string? department) =>
        Assert.Equal(department, Department(Load(Good), address));

    [Fact]
    public void Owner_and_contact_are_read_with_quoting_and_empty_cells_are_none()
    {
        var inventory = Load(Good);
        Assert.True(inventory.TryFind(IpAddress.Parse("10.1.9.9"), out var physics));
        Assert.Equal(new InventoryUnit("Physics", "Doe, Jane", "physics-it@campus.example"), physics);
        Assert.True(inventory.TryFind(IpAddress.Parse("2001:db8:10::1"), out var chemistry));
        Assert.Equal(new InventoryUnit("Chemistry", null, null), chemistry);
        Assert.Equal(6, inventory.Count);
    }

    [Fact]
    public void Every_bad_line_is_named_and_the_file_rejected()
    {
        var errors = new List<string>();
        var inventory = Inventory.Parse("""
            cidr,department,owner,contact
            10.0.0.0/8,Central IT,,
            10.1.2.3/16,Physics,,
            10.1.0.0/16,,owner,
            not-a-network,X,,
            10.2.0.0/16,Maths,too,many,cells
            10.0.0.0/8,Central IT again,,
            10.3.0.0/16,"unclosed,,
            10.4.0.0/16,Bio"logy,,
            fd00::/129,Lab,,
            """, "/etc/pooldetector/inventory.csv", errors);
        Assert.Null(inventory);
        Assert.Equal(
        [
            "/etc/pooldetector/inventory.csv:3: '10.1.2.3/16' has host bits set beyond /16 (the range is 10.1.0.0/16)",
            "/etc/pooldetector/inventory.csv:4: no department for 10.1.0.0/16",
            "/etc/pooldetector/inventory.csv:5: 'not-a-network' is not an address or CIDR range",
            "/etc/pooldetector/inventory.csv:6: 5 column(s); want 4 (cidr,department,owner,contact)",
            "/etc/pooldetector/inventory.csv:7: 10.0.0.0/8 is already listed on line 2",
            "/etc/pooldetector/inventory.csv:8: a quoted cell is not closed on its line",
            "/etc/pooldetector/inventory.csv:9: a quote inside an unquoted cell (quote the whole cell and double the quote)",
            "/etc/pooldetector/inventory.csv:10: 'fd00::/129': the prefix length must be 0..128",
        ], errors);
    }

    [Theory]
    [InlineData("", "inventory.csv:1: empty: the first row must be the header 'cidr,department,owner,contact'")]
    [InlineData("10.0.0.0/8,IT,,\n", "inventory.csv:1: the first row must be the header 'cidr,department,owner,contact'")]
    public void The_header_is_required(string text, string error)
    {
        var errors = new List<string>();
        Assert.Null(Inventory.Parse(text, "inventory.csv", errors));
        Assert.Equal([error], errors);
    }

    [Fact]
    public void A_spreadsheets_byte_order_mark_and_crlf_lines_are_read()
    {
        var inventory = Load("\uFEFFCIDR,Department,Owner,Contact\r\n10.0.0.0/8,IT,,\r\n");
        Assert.Equal("IT", Department(inventory, "10.9.9.9"));
    }
}
