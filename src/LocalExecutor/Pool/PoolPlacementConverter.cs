using System;
using System.ComponentModel;
using System.Globalization;

namespace ThreadPerCore;

/// <summary>Converts a <see cref="PoolPlacement"/> from and to its text form (<see cref="PoolPlacement.Parse"/>), so that
/// configuration binding reads <c>"Placement": "Spread(4)"</c>.</summary>
public sealed class PoolPlacementConverter : TypeConverter
{
    /// <inheritdoc />
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) =>
        sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);

    /// <inheritdoc />
    public override bool CanConvertTo(ITypeDescriptorContext? context, Type? destinationType) =>
        destinationType == typeof(string) || base.CanConvertTo(context, destinationType);

    /// <inheritdoc />
    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text ? PoolPlacement.Parse(text) : base.ConvertFrom(context, culture, value);

    /// <inheritdoc />
    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType) =>
        destinationType == typeof(string) && value is PoolPlacement placement
            ? placement.ToString()
            : base.ConvertTo(context, culture, value, destinationType);
}
