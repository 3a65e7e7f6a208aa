using System.Globalization;

// Under invariant globalization GetCultureInfo("de-DE") throws CultureNotFoundException: this line
// prints only when the image kept culture data.
CultureInfo german = CultureInfo.GetCultureInfo("de-DE");
Console.WriteLine(1234.5.ToString("N1", german));
Console.WriteLine(new DateTime(2025, 12, 31).ToString("D", german));
