using System;
using System.Collections.Generic;
using System.Linq;
using FluentAssertions;
using ThreadPerCore.Platform;
using Xunit;

namespace ThreadPerCore.Tests.Platform;

public sealed class CpuSetTests
{
    [Fact]
    public void Parse_reads_ranges_and_single_cpus()
    {
        CpuSet set = CpuSet.Parse("0-3,8,10-11");

        set.Should().Equal(0, 1, 2, 3, 8, 10, 11);
        set.Count.Should().Be(7);
        set.Min.Should().Be(0);
        set.Max.Should().Be(11);
        set.ToString().Should().Be("0-3,8,10-11");
    }

    [Theory]
    [InlineData("0-3,8,10-11", "0-3,8,10-11")]
    [InlineData("0", "0")]
    [InlineData("0-1\n", "0-1")]
    [InlineData(" 0 - 1 , 4 ,\t5 \n", "0-1,4-5")]
    [InlineData("5,4,3,2", "2-5")]
    [InlineData("3,1-2,2", "1-3")]
    [InlineData("0,2,4,6", "0,2,4,6")]
    [InlineData("63-64", "63-64")]
    [InlineData("100,1023", "100,1023")]
    [InlineData("0-1023", "0-1023")]
    [InlineData("", "")]
    [InlineData(" \n", "")]
    public void Parse_then_ToString_gives_the_canonical_list(string list, string canonical)
    {
        CpuSet set = CpuSet.Parse(list);

        set.ToString().Should().Be(canonical);
        CpuSet.Parse(set.ToString()).Should().Equal(set);
        CpuSet.TryParse(list, out CpuSet viaTry).Should().BeTrue();
        (viaTry == set).Should().BeTrue();
    }

    [Fact]
    public void Cpus_above_63_are_held_and_formatted()
    {
        CpuSet set = CpuSet.Of(1023, 100, 64, 63);

        set.Should().Equal(63, 64, 100, 1023);
        set.Contains(100).Should().BeTrue();
        set.Contains(1023).Should().BeTrue();
        set.Contains(101).Should().BeFalse();
        set.Min.Should().Be(63);
        set.Max.Should().Be(1023);
        set.ToString().Should().Be("63-64,100,1023");
        CpuSet.Parse("0-1023").Count.Should().Be(1024);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("1-")]
    [InlineData("-1")]
    [InlineData("3-1")]
    [InlineData("1,,2")]
    [InlineData("1,")]
    [InlineData(",1")]
    [InlineData("1024")]
    [InlineData("0-1024")]
    [InlineData("1-2-3")]
    [InlineData("+1")]
    [InlineData("1 2")]
    [InlineData("0x1")]
    [InlineData("99999999999")]
    [InlineData("0-7:2")]
    public void Parse_rejects_malformed_lists_with_a_FormatException_quoting_them(string list)
    {
        Action parse = () => CpuSet.Parse(list);

        parse.Should().Throw<FormatException>().WithMessage($"*'{list.Trim()}'*CPU list*");
        CpuSet.TryParse(list, out CpuSet set).Should().BeFalse();
        set.IsEmpty.Should().BeTrue();
    }

    [Fact]
    public void Parse_of_null_names_the_argument()
    {
        Action parse = () => CpuSet.Parse(null!);

        parse.Should().Throw<ArgumentNullException>().WithParameterName("list");
        CpuSet.TryParse(null, out _).Should().BeFalse();
    }

    [Fact]
    public void Of_sorts_and_deduplicates()
    {
        CpuSet.Of(5, 3, 3, 64, 0).Should().Equal(0, 3, 5, 64);
        CpuSet.Of(new List<int> { 9, 1 }).Should().Equal(1, 9);
        CpuSet.Of().IsEmpty.Should().BeTrue();
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1024)]
    [InlineData(int.MaxValue)]
    public void Of_rejects_cpu_numbers_out_of_range(int cpu)
    {
        Action of = () => CpuSet.Of(0, cpu);

        of.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("cpus").WithMessage($"*{cpu}*");
    }

    [Fact]
    public void Of_rejects_null()
    {
        Action of = () => CpuSet.Of((IEnumerable<int>)null!);

        of.Should().Throw<ArgumentNullException>().WithParameterName("cpus");
    }

    [Fact]
    public void Range_spans_word_boundaries()
    {
        CpuSet.Range(62, 4).Should().Equal(62, 63, 64, 65);
        CpuSet.Range(62, 4).ToString().Should().Be("62-65");
        CpuSet.Range(0, 1024).Count.Should().Be(1024);
        CpuSet.Range(1023, 1).Should().Equal(1023);
        CpuSet.Range(7, 0).IsEmpty.Should().BeTrue();
    }

    [Theory]
    [InlineData(-1, 1, "first")]
    [InlineData(0, -1, "count")]
    [InlineData(1000, 25, "count")]
    [InlineData(1024, 1, "count")]
    public void Range_rejects_bad_arguments_naming_them(int first, int count, string parameter)
    {
        Action range = () => CpuSet.Range(first, count);

        range.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(parameter);
    }

    [Fact]
    public void Empty_and_default_are_the_same_empty_set()
    {
        CpuSet empty = default;

        (empty == CpuSet.Empty).Should().BeTrue();
        empty.IsEmpty.Should().BeTrue();
        empty.Count.Should().Be(0);
        empty.Should().BeEmpty();
        empty.ToString().Should().BeEmpty();
        empty.Contains(0).Should().BeFalse();
        (CpuSet.Of(3).Except(CpuSet.Of(3)) == CpuSet.Empty).Should().BeTrue();
        ((Func<int>)(() => empty.Min)).Should().Throw<InvalidOperationException>();
        ((Func<int>)(() => empty.Max)).Should().Throw<InvalidOperationException>();
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1024)]
    [InlineData(5000)]
    [InlineData(int.MinValue)]
    public void Contains_is_false_for_numbers_outside_the_range(int cpu)
    {
        CpuSet.Range(0, 1024).Contains(cpu).Should().BeFalse();
    }

    [Fact]
    public void Set_operations_work_across_sets_of_different_widths()
    {
        CpuSet small = CpuSet.Parse("0-3");
        CpuSet wide = CpuSet.Parse("2-5,200,1023");

        small.Intersect(wide).ToString().Should().Be("2-3");
        wide.Intersect(small).ToString().Should().Be("2-3");
        small.Union(wide).ToString().Should().Be("0-5,200,1023");
        wide.Union(small).ToString().Should().Be("0-5,200,1023");
        wide.Except(small).ToString().Should().Be("4-5,200,1023");
        small.Except(wide).ToString().Should().Be("0-1");
        wide.Intersect(CpuSet.Of(1023)).Should().Equal(1023);
        small.Intersect(CpuSet.Of(1023)).IsEmpty.Should().BeTrue();
    }

    [Fact]
    public void Equality_ignores_how_the_set_was_built()
    {
        CpuSet trimmed = CpuSet.Of(1, 200).Intersect(CpuSet.Of(1, 2));
        CpuSet direct = CpuSet.Of(1);

        trimmed.Equals(direct).Should().BeTrue();
        (trimmed == direct).Should().BeTrue();
        (trimmed != direct).Should().BeFalse();
        trimmed.Equals((object)direct).Should().BeTrue();
        trimmed.Equals("1").Should().BeFalse();
        trimmed.GetHashCode().Should().Be(direct.GetHashCode());
        (CpuSet.Of(1) == CpuSet.Of(2)).Should().BeFalse();
        new HashSet<CpuSet> { trimmed, direct, CpuSet.Parse("1") }.Should().HaveCount(1);
    }

    [Fact]
    public void Enumeration_is_ascending_for_random_sets()
    {
        var random = new Random(1234);
        for (int round = 0; round < 50; round++)
        {
            int[] cpus = Enumerable.Range(0, random.Next(0, 80)).Select(_ => random.Next(0, 1024)).ToArray();

            CpuSet set = CpuSet.Of(cpus);

            set.Should().Equal(cpus.Distinct().Order());
            set.Count.Should().Be(cpus.Distinct().Count());
            CpuSet.Parse(set.ToString()).Should().Equal(set);
        }
    }

    [Fact]
    public void Enumerator_can_be_reset()
    {
        CpuSet.Enumerator enumerator = CpuSet.Of(4, 70).GetEnumerator();
        enumerator.MoveNext().Should().BeTrue();
        enumerator.MoveNext().Should().BeTrue();
        enumerator.Current.Should().Be(70);
        enumerator.MoveNext().Should().BeFalse();
        enumerator.MoveNext().Should().BeFalse();

        enumerator.Reset();

        enumerator.MoveNext().Should().BeTrue();
        enumerator.Current.Should().Be(4);
        enumerator.Dispose();
    }

    [Fact]
    public void Mask_round_trip_keeps_every_cpu_including_1023()
    {
        CpuSet set = CpuSet.Parse("0,63-64,100,1023");
        Span<ulong> mask = stackalloc ulong[CpuSet.MaskWords];
        mask.Fill(ulong.MaxValue);

        set.CopyTo(mask);

        mask[0].Should().Be(1UL | (1UL << 63));
        mask[1].Should().Be(1UL | (1UL << (100 - 64)));
        mask[15].Should().Be(1UL << 63);
        mask[2..15].ToArray().Should().OnlyContain(word => word == 0);
        CpuSet.FromMask(mask).Should().Equal(set);
        CpuSet.MaskBytes.Should().Be(128);
    }

    [Fact]
    public void FromMask_accepts_a_single_word_and_ignores_bits_past_1023()
    {
        CpuSet.FromMask([0b1011UL]).ToString().Should().Be("0-1,3");
        CpuSet.FromMask([]).IsEmpty.Should().BeTrue();
        CpuSet.FromMask(new ulong[4]).IsEmpty.Should().BeTrue();

        ulong[] oversized = new ulong[CpuSet.MaskWords + 1];
        oversized[0] = 1;
        oversized[CpuSet.MaskWords] = ulong.MaxValue;
        CpuSet.FromMask(oversized).Should().Equal(0);
    }

    [Fact]
    public void CopyTo_into_a_short_mask_names_the_argument()
    {
        CpuSet set = CpuSet.Of(64);
        ulong[] oneWord = new ulong[1];

        Action copy = () => set.CopyTo(oneWord);

        copy.Should().Throw<ArgumentException>().WithParameterName("mask");
        CpuSet.Of(63).CopyTo(oneWord);
        oneWord[0].Should().Be(1UL << 63);
    }
}
